//! The one "type a path" widget: when no native file dialog can be shown (no desktop portal)
//! or the user prefers typing, a labelled path field with a confirm button, inline in a panel
//! or in a small window of its own.

use eframe::egui;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::ui::job::Job;

/// What a path field is for: its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathFieldText {
    /// The window title (for [`path_prompt_window_ui`]).
    pub title: &'static str,
    /// The field's label, which is also its accessible name: "Profile path".
    pub label: &'static str,
    /// The hint inside the empty field: "/path/to/sandbox.toml".
    pub hint: &'static str,
    /// The confirm button: "Save profile".
    pub action: &'static str,
}

/// A path being typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathField {
    /// What is typed so far.
    pub text: String,
    /// Why the field is shown, when there is something to say ("No file dialog …").
    pub note: Option<String>,
    focused: bool,
}

/// The note shown when a native dialog could not open.
pub const NO_DIALOG_NOTE: &str =
    "No file dialog could be shown (is a desktop portal running?). Type the path instead.";

impl PathField {
    /// An empty field, with a note saying why it is shown.
    pub fn with_note(note: impl Into<String>) -> Self {
        Self {
            note: Some(note.into()),
            ..Self::default()
        }
    }
}

/// What the user did with a path field this frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathAnswer {
    /// A path was confirmed (button or Enter).
    Confirmed(PathBuf),
    /// Cancel was clicked or the window closed.
    Cancelled,
}

/// The field, its confirm button (enabled when `enabled`) and, when `cancel`, a Cancel button.
pub fn path_field_ui(
    ui: &mut egui::Ui,
    field: &mut PathField,
    text: &PathFieldText,
    enabled: bool,
    cancel: bool,
) -> Option<PathAnswer> {
    if let Some(note) = &field.note {
        ui.colored_label(ui.visuals().warn_fg_color, note.as_str());
    }
    let label = ui.label(text.label);
    let response = ui
        .add(
            egui::TextEdit::singleline(&mut field.text)
                .hint_text(text.hint)
                .desired_width(ui.available_width().clamp(160.0, 420.0)),
        )
        .labelled_by(label.id)
        .on_hover_text(format!(
            "Type the path; Enter or {} to confirm.",
            text.action
        ));
    if !std::mem::replace(&mut field.focused, true) {
        response.request_focus();
        // A field that opens at the bottom of a long panel is brought into view.
        response.scroll_to_me(Some(egui::Align::Center));
    }
    let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let mut answer = None;
    ui.horizontal(|ui| {
        let typed = !field.text.trim().is_empty();
        if (ui
            .add_enabled(enabled && typed, egui::Button::new(text.action))
            .clicked()
            || (entered && enabled))
            && typed
        {
            answer = Some(PathAnswer::Confirmed(PathBuf::from(field.text.trim())));
        }
        if cancel && ui.button("Cancel").clicked() {
            answer = Some(PathAnswer::Cancelled);
        }
    });
    answer
}

/// A path field in a small window of its own, for `purpose`; empties `slot` when the user
/// confirms, cancels or closes it, and returns the confirmed path.
pub fn path_prompt_window_ui<P: Copy>(
    ctx: &egui::Context,
    slot: &mut Option<(P, PathField)>,
    text: impl Fn(P) -> PathFieldText,
) -> Option<(P, PathBuf)> {
    let (purpose, field) = slot.as_mut()?;
    let purpose = *purpose;
    let words = text(purpose);
    let mut open = true;
    let mut answer = None;
    egui::Window::new(words.title)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
        .show(ctx, |ui| {
            answer = path_field_ui(ui, field, &words, true, true)
        });
    match answer {
        Some(PathAnswer::Confirmed(path)) => {
            *slot = None;
            Some((purpose, path))
        }
        Some(PathAnswer::Cancelled) => {
            *slot = None;
            None
        }
        None => {
            if !open {
                *slot = None;
            }
            None
        }
    }
}

/// A native file dialog with the path field as its fallback. The dialog waits on a [`Job`] of
/// its own; when no dialog can be shown (or its thread cannot start) a [`PathField`] for the
/// same `purpose` takes its place, saying why.
pub struct PathChooser<P> {
    dialog: Option<(P, Job<Destination>)>,
    field: Option<(P, PathField)>,
}

impl<P> Default for PathChooser<P> {
    fn default() -> Self {
        Self {
            dialog: None,
            field: None,
        }
    }
}

impl<P: Copy> PathChooser<P> {
    /// Waits for `pick` (an `rfd` dialog built on the UI thread, as some platforms want) on a
    /// named thread. Does nothing while another dialog of this chooser is open.
    pub fn start<F>(&mut self, purpose: P, pick: F, ctx: &egui::Context)
    where
        F: Future<Output = Option<rfd::FileHandle>> + Send + 'static,
    {
        if self.dialog.is_some() {
            return;
        }
        match Job::spawn("dialog", "the file dialog", ctx, move || {
            destination(None, Some(pick))
        }) {
            Ok(job) => {
                self.field = None;
                self.dialog = Some((purpose, job));
            }
            Err(err) => self.ask(purpose, format!("No file dialog ({err:#}).")),
        }
    }

    /// Shows the path field for `purpose` with `note` (no dialog).
    pub fn ask(&mut self, purpose: P, note: impl Into<String>) {
        self.show_field(purpose, PathField::with_note(note));
    }

    /// Shows `field` for `purpose` (the user chose to type the path).
    pub fn show_field(&mut self, purpose: P, field: PathField) {
        self.field = Some((purpose, field));
    }

    /// Whether a dialog is open.
    pub fn is_waiting(&self) -> bool {
        self.dialog.is_some()
    }

    /// Whether the path field is on show.
    pub fn is_asking(&self) -> bool {
        self.field.is_some()
    }

    /// Closes the path field.
    pub fn close_field(&mut self) {
        self.field = None;
    }

    /// The picked path, once the dialog answers. When it could not show, the path field
    /// appears instead; when it was closed, nothing happens.
    pub fn poll(&mut self) -> Option<(P, PathBuf)> {
        let (purpose, job) = self.dialog.as_ref()?;
        let purpose = *purpose;
        let answer = job.poll()?;
        self.dialog = None;
        match answer {
            Ok(Destination::Path(path)) => Some((purpose, path)),
            Ok(Destination::Cancelled) => None,
            Ok(Destination::NoDialog) => {
                self.ask(purpose, NO_DIALOG_NOTE);
                None
            }
            Err(lost) => {
                self.ask(purpose, format!("No file dialog ({lost})."));
                None
            }
        }
    }

    /// The path field inside a panel, when on show; returns a confirmed path (the field stays
    /// until [`Self::close_field`], so a failed write can be retried) or nothing.
    pub fn field_ui(
        &mut self,
        ui: &mut egui::Ui,
        text: &PathFieldText,
        enabled: bool,
    ) -> Option<(P, PathBuf)> {
        let (purpose, field) = self.field.as_mut()?;
        let purpose = *purpose;
        match path_field_ui(ui, field, text, enabled, false)? {
            PathAnswer::Confirmed(path) => Some((purpose, path)),
            PathAnswer::Cancelled => {
                self.field = None;
                None
            }
        }
    }

    /// The path field in a small window of its own, when on show; returns a confirmed path.
    pub fn window_ui(
        &mut self,
        ctx: &egui::Context,
        text: impl Fn(P) -> PathFieldText,
    ) -> Option<(P, PathBuf)> {
        path_prompt_window_ui(ctx, &mut self.field, text)
    }
}

/// A dialog that answers faster than this without a pick never really showed.
pub(crate) const DIALOG_MIN_HUMAN: Duration = Duration::from_millis(400);

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
