//! The sandbox map drawn as a standalone SVG picture (File ▸ Save map as SVG…, the HTML
//! report): the same model the window paints.

use std::fmt::Write as _;

use crate::engine::export::map::{
    Door, DoorKind, MAX_FOLDER_DOORS, MAX_REFUSAL_ROWS, Refusal, SandboxMap, escape, shorten,
};

impl SandboxMap {
    /// The map as a standalone SVG picture, for slides and the HTML report: no script, no
    /// font or image fetched. Its size depends on the doors and refusal kinds only.
    pub fn svg(&self) -> String {
        const WIDTH: f64 = 960.0;
        const ROW: f64 = 40.0;
        const WALL_X: f64 = 470.0;
        const WALL_W: f64 = 24.0;
        let refusal_rows = self.refusals.len().min(MAX_REFUSAL_ROWS + 1);
        let folder_rows = self
            .doors
            .iter()
            .filter(|d| d.kind == DoorKind::Folder)
            .count();
        let hidden_folders = folder_rows.saturating_sub(MAX_FOLDER_DOORS);
        let door_rows = self.doors.len() - hidden_folders + usize::from(hidden_folders > 0);
        // The guest's last words, when it said why it died, take a line under the summary.
        let top = if self.last_words.is_some() {
            88.0
        } else {
            70.0
        };
        let doors_bottom = top + door_rows as f64 * ROW;
        let refusals_top = doors_bottom + 34.0;
        let height = refusals_top + refusal_rows as f64 * ROW + 40.0;
        let mut svg = String::new();
        let _ = write!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
             viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"sandbox map\" \
             font-family=\"sans-serif\" font-size=\"13\" class=\"sandbox-map\">\
             <rect width=\"100%\" height=\"100%\" fill=\"#fcfcfc\"/>\
             <text x=\"20\" y=\"24\" font-size=\"16\" font-weight=\"bold\">The guest</text>\
             <text x=\"{}\" y=\"24\" font-size=\"16\" font-weight=\"bold\" \
             text-anchor=\"middle\">the sandbox's wall</text>\
             <text x=\"{}\" y=\"24\" font-size=\"16\" font-weight=\"bold\" \
             text-anchor=\"end\">The host</text>\
             <text x=\"20\" y=\"46\" fill=\"#555\">{}</text>\
             <rect class=\"wall\" x=\"{WALL_X}\" y=\"{}\" width=\"{WALL_W}\" height=\"{}\" \
             fill=\"#8d6e63\"/>",
            WALL_X + WALL_W / 2.0,
            WIDTH - 20.0,
            escape(&self.summary()),
            top - 10.0,
            height - top - 20.0,
        );
        if let Some(words) = &self.last_words {
            let _ = write!(
                svg,
                "<text x=\"20\" y=\"64\" fill=\"#c62828\">It died: {}</text>",
                escape(&shorten(words, 140))
            );
        }
        let mut y = top;
        let mut folders_drawn = 0;
        for door in &self.doors {
            if door.kind == DoorKind::Folder {
                folders_drawn += 1;
                if folders_drawn > MAX_FOLDER_DOORS {
                    continue;
                }
            }
            door_svg(&mut svg, door, y, WALL_X, WALL_W, WIDTH);
            y += ROW;
        }
        if hidden_folders > 0 {
            let _ = write!(
                svg,
                "<text x=\"20\" y=\"{:.0}\" fill=\"#555\">and {hidden_folders} more \
                 folders</text>",
                y + 24.0
            );
        }
        let _ = write!(
            svg,
            "<text x=\"20\" y=\"{:.0}\" font-weight=\"bold\" fill=\"#c62828\">Stopped at \
             the wall ({})</text>",
            refusals_top - 8.0,
            self.refused()
        );
        if self.refused() == 0 {
            let _ = write!(
                svg,
                "<text x=\"20\" y=\"{:.0}\" fill=\"#555\">nothing: no call was refused</text>",
                refusals_top + 20.0
            );
        }
        let mut y = refusals_top;
        for refusal in self.refusals.iter().take(MAX_REFUSAL_ROWS) {
            refusal_svg(&mut svg, refusal, y, WALL_X, WIDTH);
            y += ROW;
        }
        if self.refusals.len() > MAX_REFUSAL_ROWS {
            let rest: u64 = self.refusals[MAX_REFUSAL_ROWS..]
                .iter()
                .map(|r| r.count)
                .sum();
            let _ = write!(
                svg,
                "<text x=\"20\" y=\"{:.0}\" fill=\"#c62828\">and {rest} more calls refused in \
                 {} other ways</text>",
                y + 24.0,
                self.refusals.len() - MAX_REFUSAL_ROWS
            );
        }
        if let Some(current) = &self.current {
            let _ = write!(
                svg,
                "<text x=\"20\" y=\"{:.0}\" fill=\"#1565c0\">current call: {}</text>",
                height - 12.0,
                escape(&shorten(current, 140))
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn door_svg(svg: &mut String, door: &Door, y: f64, wall_x: f64, wall_w: f64, width: f64) {
    let mid = y + 20.0;
    let (stroke, text_fill, dash) = match (door.granted, door.crossings > 0) {
        (false, _) => ("#9e9e9e", "#9e9e9e", " stroke-dasharray=\"5 4\""),
        (true, true) => ("#2e7d32", "#1d1d1f", ""),
        (true, false) => ("#a5d6a7", "#1d1d1f", ""),
    };
    let class = if door.granted {
        "door"
    } else {
        "door not-granted"
    };
    let _ = write!(
        svg,
        "<g class=\"{class}\"><title>{}</title>",
        escape(&door.tip())
    );
    if door.current {
        let _ = write!(
            svg,
            "<rect x=\"10\" y=\"{:.0}\" width=\"{:.0}\" height=\"36\" fill=\"#fff59d\"/>",
            y + 2.0,
            width - 20.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"20\" y=\"{:.0}\" fill=\"{text_fill}\">{}</text>\
         <text x=\"20\" y=\"{:.0}\" font-size=\"11\" fill=\"#777\">{}</text>",
        mid - 2.0,
        escape(&door.guest),
        mid + 12.0,
        escape(&door.mode)
    );
    if door.granted {
        // A gap in the wall, the line through it.
        let _ = write!(
            svg,
            "<rect x=\"{wall_x}\" y=\"{:.0}\" width=\"{wall_w}\" height=\"16\" fill=\"#fcfcfc\" \
             stroke=\"{stroke}\"/><line x1=\"250\" y1=\"{mid:.0}\" x2=\"{:.0}\" y2=\"{mid:.0}\" \
             stroke=\"{stroke}\" stroke-width=\"{}\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\" fill=\"{text_fill}\" text-anchor=\"end\">{}</text>",
            mid - 8.0,
            width - 290.0,
            if door.crossings > 0 { 3 } else { 1 },
            width - 20.0,
            mid + 4.0,
            escape(&door.host),
        );
    } else {
        let _ = write!(
            svg,
            "<line x1=\"250\" y1=\"{mid:.0}\" x2=\"{wall_x}\" y2=\"{mid:.0}\" stroke=\"{stroke}\" \
             {dash}/><text x=\"{:.0}\" y=\"{:.0}\" fill=\"{text_fill}\" \
             text-anchor=\"end\">{}</text>",
            width - 20.0,
            mid + 4.0,
            escape(&door.host),
        );
    }
    let mut counts = String::new();
    if door.crossings > 0 {
        let _ = write!(counts, "{} through", door.crossings);
    }
    if door.refused > 0 {
        if !counts.is_empty() {
            counts.push_str(", ");
        }
        let _ = write!(counts, "{} refused", door.refused);
    }
    if !counts.is_empty() {
        let _ = write!(
            svg,
            "<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\" fill=\"{}\" \
             text-anchor=\"middle\">{counts}</text>",
            wall_x + 120.0,
            mid - 6.0,
            if door.crossings > 0 {
                "#2e7d32"
            } else {
                "#c62828"
            }
        );
    }
    svg.push_str("</g>");
}

fn refusal_svg(svg: &mut String, refusal: &Refusal, y: f64, wall_x: f64, width: f64) {
    let mid = y + 20.0;
    let _ = write!(
        svg,
        "<g class=\"refusal\"><title>{}</title>",
        escape(&refusal.tip())
    );
    if refusal.current {
        let _ = write!(
            svg,
            "<rect x=\"10\" y=\"{:.0}\" width=\"{:.0}\" height=\"36\" fill=\"#fff59d\"/>",
            y + 2.0,
            width - 20.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"20\" y=\"{:.0}\" fill=\"#c62828\">{}</text>\
         <text x=\"20\" y=\"{:.0}\" font-size=\"11\" fill=\"#777\">{}</text>\
         <line x1=\"370\" y1=\"{mid:.0}\" x2=\"{:.0}\" y2=\"{mid:.0}\" stroke=\"#c62828\" \
         stroke-width=\"3\"/><path d=\"M{:.0} {:.0} l10 10 m0 -10 l-10 10\" stroke=\"#c62828\" \
         stroke-width=\"3\"/>",
        mid - 2.0,
        escape(&refusal.headline()),
        mid + 12.0,
        escape(&shorten(&refusal.reason, 54)),
        wall_x - 4.0,
        wall_x - 14.0,
        mid - 5.0,
    );
    if let Some(reach) = refusal.reach() {
        let _ = write!(
            svg,
            "<text x=\"{:.0}\" y=\"{:.0}\" fill=\"#9e9e9e\" text-anchor=\"end\">{}</text>",
            width - 20.0,
            mid + 4.0,
            escape(&reach)
        );
    }
    svg.push_str("</g>");
}
