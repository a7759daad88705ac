//! Background work the UI waits for without blocking: loading and inspecting a module, and
//! native file dialogs. Each job is a named thread that answers on a bounded channel and wakes
//! the UI with `request_repaint`.

use eframe::egui;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError, bounded};

use crate::engine::{self, ModuleInfo};

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
    /// What inspection found.
    pub info: ModuleInfo,
    /// Which file and contents this is, for the grants remembered with it (`None` for a drop
    /// without a path: such a module never gets remembered grants back).
    pub key: Option<crate::ui::grants::ModuleKey>,
}

/// What a load job reports.
pub struct LoadResult {
    /// The path it was asked to load, if any.
    pub path: Option<PathBuf>,
    /// The module, or a message saying what was wrong.
    pub result: Result<Module, String>,
}

/// A load in progress.
pub struct LoadJob {
    /// What is being loaded, for the spinner.
    pub label: String,
    /// When it started.
    pub started: Instant,
    receiver: Receiver<LoadResult>,
}

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
    let info = engine::inspect(&loaded.wasm);
    let key = path
        .as_deref()
        .map(|path| crate::ui::grants::ModuleKey::new(path, &loaded.wasm));
    Module {
        key,
        path,
        name: loaded.name,
        wasm: Arc::from(loaded.wasm),
        from_text: loaded.from_text,
        info,
    }
}

impl LoadJob {
    /// Starts loading and inspecting `source` on a named thread.
    pub fn start(source: Source, ctx: &egui::Context) -> std::io::Result<Self> {
        let label = match &source {
            Source::Path(path) => path.display().to_string(),
            Source::Bytes { name, .. } => name.clone(),
            Source::Dropped(file) => file.path().display().to_string(),
        };
        let (sender, receiver) = bounded(1);
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("wasmscope-load".to_owned())
            .spawn(move || {
                // The UI may have moved on (a newer load): then nobody listens, which is fine.
                let _ = sender.send(load(source));
                ctx.request_repaint();
            })?;
        Ok(Self {
            label,
            started: Instant::now(),
            receiver,
        })
    }

    /// The result, once there is one.
    pub fn poll(&self) -> Option<LoadResult> {
        match self.receiver.try_recv() {
            Ok(result) => Some(result),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(LoadResult {
                path: None,
                result: Err(format!(
                    "loading {} stopped unexpectedly (the loader thread panicked)",
                    self.label
                )),
            }),
        }
    }
}

/// What a file dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogPurpose {
    /// Pick a module to open.
    OpenModule,
    /// Pick a folder to preopen for the guest.
    AddFolder,
}

/// A native dialog showing on another thread.
pub struct DialogJob {
    /// What it is for.
    pub purpose: DialogPurpose,
    receiver: Receiver<(Option<PathBuf>, Duration)>,
}

/// What a finished dialog says.
pub enum DialogAnswer {
    /// The user picked this.
    Picked(PathBuf),
    /// The user cancelled.
    Cancelled,
    /// No dialog could be shown (no desktop portal, say): offer a path field instead.
    Unavailable,
}

/// A dialog that answers faster than this without a pick never really showed.
pub(crate) const DIALOG_MIN_HUMAN: Duration = Duration::from_millis(400);

impl DialogJob {
    /// Shows a native dialog off the UI thread. The dialog is built here (some platforms need
    /// that on the main thread) and awaited on a named thread.
    pub fn start(purpose: DialogPurpose, ctx: &egui::Context) -> std::io::Result<Self> {
        let dialog = rfd::AsyncFileDialog::new();
        let future: std::pin::Pin<Box<dyn Future<Output = Option<PathBuf>> + Send>> = match purpose
        {
            DialogPurpose::OpenModule => {
                let pick = dialog
                    .set_title("Open a WebAssembly module")
                    .add_filter("WebAssembly", &["wasm", "wat", "wast"])
                    .add_filter("All files", &["*"])
                    .pick_file();
                Box::pin(async move { pick.await.map(|h| h.path().to_path_buf()) })
            }
            DialogPurpose::AddFolder => {
                let pick = dialog
                    .set_title("Choose a folder the guest may see")
                    .pick_folder();
                Box::pin(async move { pick.await.map(|h| h.path().to_path_buf()) })
            }
        };
        let (sender, receiver) = bounded(1);
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("wasmscope-dialog".to_owned())
            .spawn(move || {
                let started = Instant::now();
                let picked = block_on(future);
                let _ = sender.send((picked, started.elapsed()));
                ctx.request_repaint();
            })?;
        Ok(Self { purpose, receiver })
    }

    /// The answer, once there is one.
    pub fn poll(&self) -> Option<DialogAnswer> {
        match self.receiver.try_recv() {
            Ok((Some(path), _)) => Some(DialogAnswer::Picked(path)),
            Ok((None, shown_for)) if shown_for < DIALOG_MIN_HUMAN => {
                Some(DialogAnswer::Unavailable)
            }
            Ok((None, _)) => Some(DialogAnswer::Cancelled),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(DialogAnswer::Unavailable),
        }
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Where a file dialog led: a path, a closed dialog, or no dialog at all.
pub(crate) enum Destination {
    /// The typed or picked path.
    Path(PathBuf),
    /// The dialog was closed without a pick.
    Cancelled,
    /// No dialog could be shown (it answered faster than a person could): ask for a path in a
    /// field instead.
    NoDialog,
}

/// Waits, on a worker thread, for the `typed` path or else the dialog's `pick`.
pub(crate) fn destination(
    typed: Option<PathBuf>,
    pick: Option<impl Future<Output = Option<rfd::FileHandle>>>,
) -> Destination {
    let started = std::time::Instant::now();
    match (typed, pick) {
        (Some(path), _) => Destination::Path(path),
        (None, Some(pick)) => match block_on(pick) {
            Some(handle) => Destination::Path(handle.path().to_path_buf()),
            None if started.elapsed() < DIALOG_MIN_HUMAN => Destination::NoDialog,
            None => Destination::Cancelled,
        },
        (None, None) => Destination::Cancelled,
    }
}

/// Runs a future to completion on this thread (the dialog's, never the UI's).
pub(crate) fn block_on<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(value) => return value,
            Poll::Pending => std::thread::park(),
        }
    }
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
            let lesson = std::fs::read_to_string(&path)
                .ok()
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
