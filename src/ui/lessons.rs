//! Help ▸ Lessons: a side panel that walks a learner through the samples. Each lesson says
//! what to do and what to expect; after each run of its module the panel checks the lesson's
//! conditions against the run (the engine's [`Lesson::check`]), marks it done and offers the
//! next. Progress persists with the settings ([`LessonProgress`] in the window's `State`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use eframe::egui;
use egui::RichText;
use serde::{Deserialize, Serialize};

use crate::engine::lessons::{self, Check, Lesson, LessonRun};
use crate::ui::command::Command;
use crate::ui::loader::Source;
use crate::ui::theme::{GREEN, GREY, RED, callout_ui};

/// Which lessons are done and which one is followed; persisted with the settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LessonProgress {
    /// The lessons done, by id (file name without `.toml`).
    pub done: BTreeSet<String>,
    /// The lesson being followed, by id.
    pub current: Option<String>,
}

/// The panel's runtime side: the lessons loaded, the files skipped, the last run's checks.
#[derive(Default)]
pub struct LessonsView {
    /// Whether the panel is shown.
    pub open: bool,
    lessons: Vec<Lesson>,
    /// The lesson files that could not be loaded, in words (file, line, why).
    errors: Vec<String>,
    samples_dir: Option<PathBuf>,
    /// The last run of the current lesson's module, checked: (lesson id, each condition).
    last: Option<(String, Vec<Check>)>,
}

impl LessonsView {
    /// The shipped lessons and those in `samples_dir/lessons`, if that folder exists.
    pub fn load(samples_dir: Option<PathBuf>) -> Self {
        let folder = samples_dir.as_ref().map(|dir| dir.join("lessons"));
        let loaded = lessons::load_with_folder(folder.as_deref());
        Self {
            open: false,
            lessons: loaded.lessons,
            errors: loaded.errors.iter().map(ToString::to_string).collect(),
            samples_dir,
            last: None,
        }
    }

    /// Shows the panel, on the lesson followed last (the first not done, the first time).
    pub fn open(&mut self, progress: &mut LessonProgress) {
        self.open = true;
        let known = |id: &String| self.lessons.iter().any(|l| l.id == *id);
        if !progress.current.as_ref().is_some_and(known) {
            progress.current = self
                .lessons
                .iter()
                .find(|l| !progress.done.contains(&l.id))
                .or(self.lessons.first())
                .map(|l| l.id.clone());
        }
    }

    fn current(&self, progress: &LessonProgress) -> Option<usize> {
        let id = progress.current.as_ref()?;
        self.lessons.iter().position(|l| l.id == *id)
    }

    /// A run ended: when it was of the followed lesson's module, check the lesson against it
    /// and mark it done when every condition holds.
    pub fn after_run(&mut self, run: &LessonRun<'_>, progress: &mut LessonProgress) {
        let Some(lesson) = self.current(progress).and_then(|i| self.lessons.get(i)) else {
            return;
        };
        if lesson.module() != run.module {
            return;
        }
        let checks = lesson.check(run);
        if checks.iter().all(|c| c.met) {
            progress.done.insert(lesson.id.clone());
        }
        self.last = Some((lesson.id.clone(), checks));
    }
}

/// The panel: the list, the followed lesson's steps and conditions, what to do next.
pub fn lessons_ui(
    ui: &mut egui::Ui,
    view: &mut LessonsView,
    progress: &mut LessonProgress,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.heading("Lessons");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.small_button("Close").clicked() {
                view.open = false;
            }
        });
    });
    let done = view
        .lessons
        .iter()
        .filter(|l| progress.done.contains(&l.id))
        .count();
    ui.weak(format!("{done} of {} done", view.lessons.len()));
    egui::ScrollArea::vertical()
        .id_salt("lessons scroll")
        .show(ui, |ui| {
            list_ui(ui, view, progress);
            ui.separator();
            if let Some(index) = view.current(progress) {
                lesson_ui(ui, view, index, progress, commands);
            }
            if !view.errors.is_empty() {
                ui.separator();
                for error in &view.errors {
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("Skipped {error}")).small().color(RED),
                        )
                        .wrap(),
                    );
                }
            }
        });
}

fn list_ui(ui: &mut egui::Ui, view: &mut LessonsView, progress: &mut LessonProgress) {
    for (i, lesson) in view.lessons.iter().enumerate() {
        let done = progress.done.contains(&lesson.id);
        let current = progress.current.as_ref() == Some(&lesson.id);
        let text = format!(
            "{}. {}{}",
            i + 1,
            lesson.title,
            if done { " (done)" } else { "" }
        );
        if ui.selectable_label(current, text).clicked() {
            progress.current = Some(lesson.id.clone());
        }
    }
}

fn lesson_ui(
    ui: &mut egui::Ui,
    view: &LessonsView,
    index: usize,
    progress: &mut LessonProgress,
    commands: &mut Vec<Command>,
) {
    let Some(lesson) = view.lessons.get(index) else {
        return;
    };
    ui.strong(&lesson.title);
    ui.add_space(4.0);
    ui.label(RichText::new("What to do").strong());
    ui.add(egui::Label::new(&lesson.what_to_do).wrap());
    let sample = view
        .samples_dir
        .as_ref()
        .map(|dir| dir.join(&lesson.sample))
        .filter(|path| path.is_file());
    let open = ui
        .add_enabled(
            sample.is_some(),
            egui::Button::new(format!("Open {}", lesson.sample)),
        )
        .on_disabled_hover_text("The samples folder was not found next to wasmscope.");
    if open.clicked()
        && let Some(path) = sample
    {
        commands.push(Command::Open(Source::Path(path)));
    }
    ui.add_space(4.0);
    ui.label(RichText::new("What to expect").strong());
    ui.add(egui::Label::new(&lesson.what_to_expect).wrap());
    ui.add_space(4.0);
    ui.label(RichText::new("Done when").strong());
    match &view.last {
        Some((id, checks)) if *id == lesson.id => {
            for check in checks {
                let (mark, color) = if check.met {
                    ("met", GREEN)
                } else {
                    ("not yet", GREY)
                };
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("{mark}: {}", check.words)).color(color),
                    )
                    .wrap(),
                );
            }
        }
        _ => {
            for words in lesson.conditions() {
                ui.add(egui::Label::new(format!("· {words}")).wrap());
            }
        }
    }
    if progress.done.contains(&lesson.id) {
        ui.add_space(6.0);
        callout_ui(ui, GREEN, |ui| {
            ui.strong(format!("Done: {}", lesson.title));
            match view.lessons.get(index + 1) {
                Some(next) => {
                    if ui.button(format!("Next: {}", next.title)).clicked() {
                        progress.current = Some(next.id.clone());
                    }
                }
                None => {
                    ui.label("That was the last lesson.");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_follows_the_first_lesson_not_done() {
        let mut view = LessonsView::load(None);
        let mut progress = LessonProgress::default();
        progress.done.insert("01-nothing-granted".to_owned());
        view.open(&mut progress);
        assert!(view.open);
        assert_eq!(progress.current.as_deref(), Some("02-read-only-folder"));
        // A lesson that no longer exists falls back the same way.
        progress.current = Some("99-gone".to_owned());
        view.open(&mut progress);
        assert_eq!(progress.current.as_deref(), Some("02-read-only-folder"));
    }
}
