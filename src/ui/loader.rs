//! Background work the UI waits for without blocking: loading and inspecting a module, and
//! the native dialogs that pick a module or a folder. Each is a [`Job`] on a named thread that
//! wakes the UI when it answers.

use eframe::egui;
use std::future::Future;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::engine::module::precompiled::Origin;
use crate::engine::sandbox::EngineKey;
use crate::engine::{self, ModuleInfo};
use crate::ui::job::Job;
use crate::ui::prompt::PathChooser;

/// A module read and inspected, ready to show and run.
#[derive(Clone, Debug)]
pub struct Module {
    /// Where it came from, when it came from a file (drops may carry bytes only).
    pub path: Option<PathBuf>,
    /// File name, used as argv0.
    pub name: String,
    /// Binary wasm, shared with runs.
    pub wasm: Arc<[u8]>,
    /// Whether the file was WebAssembly text.
    pub from_text: bool,
    /// What inspection found, once, when the module was opened; runs take it along
    /// ([`crate::engine::RunRequest::info`]) instead of parsing the module again.
    pub info: Arc<ModuleInfo>,
    /// Which file and contents this is, for the grants remembered with it (`None` for a drop
    /// without a path: such a module never gets remembered grants back).
    pub key: Option<ModuleKey>,
    /// `Some` when the file is precompiled machine code (decided once, on load).
    pub native: Option<Native>,
    /// `Some` when the file is a recording (`.wstrace`): the module is the one it holds, its
    /// sandbox is the recorded one, and Run replays it.
    pub replay: Option<Arc<crate::engine::record::recording::Recording>>,
}

/// What is known of a precompiled module in the window.
#[derive(Clone, Debug)]
pub struct Native {
    /// Who made it, as its contents say.
    pub origin: Origin,
    /// Whether the user chose "Load as native code"; until then it is not loaded as code and
    /// never becomes the open module.
    pub allowed: bool,
    /// Keeps its loaded code in the cache while it is open, so Run does not load it again.
    pub pin: Option<Arc<crate::engine::sandbox::cache::Pin>>,
}

/// Which module a remembered set of grants belongs to: its path and a fingerprint of its
/// contents, so a changed file (or another file at the same path) starts with nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleKey {
    /// The file the module was opened from.
    pub path: PathBuf,
    /// [`fingerprint`] of its bytes.
    pub fingerprint: u64,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// A fingerprint of a module's bytes (not cryptographic: it tells files apart, it does not
/// defend against an attacker who controls both the trusted and the untrusted file).
pub fn fingerprint(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

impl ModuleKey {
    /// The key of a module read from `path` with these bytes.
    pub fn new(path: &Path, bytes: &[u8]) -> Self {
        Self {
            path: path.to_path_buf(),
            fingerprint: fingerprint(bytes),
            size_bytes: bytes.len() as u64,
        }
    }
}

/// What a load job reports.
pub struct LoadResult {
    /// The path it was asked to load, if any.
    pub path: Option<PathBuf>,
    /// The module, or a message saying what was wrong.
    pub result: Result<Module, String>,
}

/// A load in progress: its label says what is being loaded, for the spinner.
pub type LoadJob = Job<LoadResult>;

/// Where the module to load comes from.
pub enum Source {
    /// A file.
    Path(PathBuf),
    /// Bytes without a path (a drop from a browser, say), with a name for messages.
    Bytes {
        /// A name for messages and argv0.
        name: String,
        /// The file contents.
        bytes: Vec<u8>,
    },
    /// A file dropped on the window: read by path when it has one, else by its bytes.
    Dropped(egui::DroppedFileHandle),
}

fn load(source: Source) -> LoadResult {
    let (path, loaded) = match source {
        Source::Path(path) => {
            let loaded = engine::load_file(&path);
            (Some(path), loaded)
        }
        Source::Bytes { name, bytes } => (None, engine::load_bytes(&name, bytes)),
        Source::Dropped(file) => {
            let path = file.path().to_path_buf();
            if path.is_absolute() {
                let loaded = engine::load_file(&path);
                (Some(path), loaded)
            } else {
                let name = path.display().to_string();
                let loaded = file
                    .bytes()
                    .map_err(|e| format!("cannot read the dropped file {name}: {e}"))
                    .and_then(|bytes| {
                        engine::load_bytes(&name, bytes).map_err(|e| format!("{e:#}"))
                    });
                return LoadResult {
                    path: None,
                    result: loaded.map(|loaded| module(None, loaded)),
                };
            }
        }
    };
    let result = loaded
        .map_err(|e| format!("{e:#}"))
        .map(|loaded| module(path.clone(), loaded));
    LoadResult { path, result }
}

fn module(path: Option<PathBuf>, loaded: engine::LoadedModule) -> Module {
    // Precompiled code is not read as code here: that waits for the user's say-so.
    let (info, native) = match loaded.precompiled {
        Some(origin) => {
            let (info, _) =
                engine::module::inspect::inspect_precompiled(&loaded.wasm, origin, None);
            let native = Native {
                origin,
                allowed: false,
                pin: None,
            };
            (info, Some(native))
        }
        None => (engine::inspect(&loaded.wasm), None),
    };
    let key = path
        .as_deref()
        .map(|path| ModuleKey::new(path, &loaded.wasm));
    Module {
        key,
        path,
        name: loaded.name,
        wasm: Arc::from(loaded.wasm),
        from_text: loaded.from_text,
        info: Arc::new(info),
        native,
        replay: loaded.recording,
    }
}

/// Loads a precompiled module the user allowed as native code on a named thread, once: under
/// the engine its tag names, or (no tag) under the window's current settings `key`.
pub fn start_native_load(
    mut module: Module,
    key: EngineKey,
    ctx: &egui::Context,
) -> std::io::Result<LoadJob> {
    let label = format!("loading {} as native code", module.name);
    Job::spawn("load", label, ctx, move || {
        if let Some(native) = &mut module.native {
            let key = match native.origin {
                Origin::Wasmscope(compiled_for) => compiled_for.engine_key(),
                Origin::Foreign => key,
            };
            let (info, pin) = engine::module::inspect::inspect_precompiled(
                &module.wasm,
                native.origin,
                Some(key),
            );
            module.info = Arc::new(info);
            native.allowed = true;
            native.pin = pin.map(Arc::new);
        }
        LoadResult {
            path: module.path.clone(),
            result: Ok(module),
        }
    })
}

/// Starts loading and inspecting `source` on a named thread.
pub fn start_load(source: Source, ctx: &egui::Context) -> std::io::Result<LoadJob> {
    let label = match &source {
        Source::Path(path) => path.display().to_string(),
        Source::Bytes { name, .. } => name.clone(),
        Source::Dropped(file) => file.path().display().to_string(),
    };
    // The UI may have moved on (a newer load): then nobody listens, which is fine.
    Job::spawn("load", label, ctx, move || load(source))
}

/// What a file dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogPurpose {
    /// Pick a module to open.
    OpenModule,
    /// Pick a folder to preopen for the guest.
    AddFolder,
}

/// Builds the native dialog for `purpose` (here, on the UI thread: some platforms need that)
/// and lets `chooser` await it on a named thread.
pub fn start_dialog(
    chooser: &mut PathChooser<DialogPurpose>,
    purpose: DialogPurpose,
    ctx: &egui::Context,
) {
    let dialog = rfd::AsyncFileDialog::new();
    let pick: std::pin::Pin<Box<dyn Future<Output = Option<rfd::FileHandle>> + Send>> =
        match purpose {
            DialogPurpose::OpenModule => Box::pin(
                dialog
                    .set_title("Open a WebAssembly module")
                    .add_filter("WebAssembly", &["wasm", "wat", "wast"])
                    .add_filter("wasmscope recording", &["wstrace"])
                    .add_filter("All files", &["*"])
                    .pick_file(),
            ),
            DialogPurpose::AddFolder => Box::pin(
                dialog
                    .set_title("Choose a folder the guest may see")
                    .pick_folder(),
            ),
        };
    chooser.start(purpose, pick, ctx);
}

/// A teaching module from `samples/`.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The file.
    pub path: PathBuf,
    /// Its name without the extension: `hello`, `traps`, ...
    pub name: String,
    /// Its one-line lesson (the file's `;; lesson:` line).
    pub lesson: String,
}

/// Where the samples are: `./samples`, next to the executable's repository, or the source tree.
pub fn samples_dir() -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from("samples")];
    if let Ok(exe) = std::env::current_exe() {
        // target/{debug,release}/wasmscope -> repository root
        if let Some(root) = exe.parent().and_then(Path::parent).and_then(Path::parent) {
            candidates.push(root.join("samples"));
        }
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"));
    candidates.into_iter().find(|dir| dir.is_dir())
}

/// The samples in `dir`, by name, with their lessons.
pub fn list_samples(dir: &Path) -> Vec<Sample> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut samples: Vec<Sample> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "wat" || ext == "wasm")
        })
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let lesson =
                crate::engine::inputs::read(&path, crate::engine::inputs::InputKind::Source)
                    .ok()
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .and_then(|text| {
                        text.lines()
                            .find_map(|l| l.strip_prefix(";; lesson:").map(|s| s.trim().to_owned()))
                    })
                    .unwrap_or_default();
            Sample { path, name, lesson }
        })
        .collect();
    samples.sort_by(|a, b| a.name.cmp(&b.name));
    samples
}

/// How many recent files are remembered.
pub const MAX_RECENT: usize = 10;

/// Puts `path` first in `recent`, without duplicates, keeping at most [`MAX_RECENT`].
pub fn remember_recent(recent: &mut Vec<PathBuf>, path: &Path) {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    recent.retain(|p| p != &path);
    recent.insert(0, path);
    recent.truncate(MAX_RECENT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_newest_first_and_bounded() {
        let mut recent = Vec::new();
        for i in 0..15 {
            remember_recent(&mut recent, Path::new(&format!("/nonexistent/{i}.wasm")));
        }
        remember_recent(&mut recent, Path::new("/nonexistent/10.wasm"));
        assert_eq!(recent.len(), MAX_RECENT);
        assert_eq!(recent[0], PathBuf::from("/nonexistent/10.wasm"));
        assert_eq!(recent.iter().filter(|p| p.ends_with("10.wasm")).count(), 1);
    }

    #[test]
    fn samples_have_lessons() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let samples = list_samples(&dir);
        let hello = samples
            .iter()
            .find(|s| s.name == "hello")
            .expect("hello sample");
        assert!(!hello.lesson.is_empty());
    }
}
