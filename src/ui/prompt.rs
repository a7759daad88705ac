//! The one "type a path" widget: when no native file dialog can be shown (no desktop portal)
//! or the user prefers typing, a labelled path field with a confirm button, inline in a panel
//! or in a small window of its own.

use eframe::egui;
use std::path::PathBuf;

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
