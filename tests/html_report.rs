//! `wasmscope run --html FILE`: the run's report as one self-contained page for a browser,
//! checked as a reader would read it.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use crate::common::words;
use common::{sample, text, wasmscope};

/// Runs `args` with `--html` into a temporary file; the page and the run's stderr.
fn page_of(args: &[&str]) -> (String, String, Option<i32>) {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let mut all = vec!["run", "--html", page.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = wasmscope(&all);
    let html = std::fs::read_to_string(&page).unwrap_or_default();
    (html, text(&out.stderr), out.status.code())
}

/// Nothing is fetched and nothing runs: no script, no link to anywhere but SVG's namespace.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert!(!html.contains("<script"), "a script in the page");
    let outside: Vec<&str> = html
        .match_indices("http")
        .map(|(at, _)| &html[at..(at + 40).min(html.len())])
        .filter(|link| !link.starts_with("http://www.w3.org/2000/svg"))
        .collect();
    assert!(outside.is_empty(), "links out of the page: {outside:?}");
}

#[test]
fn a_trap_page_has_the_module_the_sandbox_the_explanation_and_the_backtrace() {
    let traps = sample("traps").display().to_string();
    let (html, stderr, status) = page_of(&["--log-calls", &traps, "div0", "<i>"]);
    assert_eq!(status, Some(134), "{stderr}");
    assert!(stderr.contains("wrote the report page to"), "{stderr}");
    assert_self_contained(&html);
    assert!(html.contains("TRAPPED"));
    assert!(html.contains("An integer division or remainder had a divisor of zero"));
    assert!(html.contains("divide_by_zero"), "the backtrace");
    assert!(html.contains("What it can ask for"));
    assert!(html.contains("none: the guest sees no file"));
    // The guest's arguments are the user's text: escaped, never markup.
    assert!(html.contains("div0 &lt;i&gt;"), "{html}");
    assert!(!html.contains("<i>"));
    // The call log is listed (the run asked for it).
    assert!(html.contains("<code>args_get</code>"), "{html}");
}

#[test]
fn a_denied_growth_page_charts_memory_against_the_cap() {
    let hog = sample("memory_hog").display().to_string();
    let (html, stderr, _) = page_of(&[&hog]);
    assert_self_contained(&html);
    assert!(html.contains("<polyline"), "no memory chart: {stderr}");
    assert!(html.contains("cap 256.0 MiB"));
    assert!(html.contains("The sandbox refused 1 growth"));
}

#[test]
fn a_profiled_run_gets_its_flame_graph() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("hot.json");
    let hot = sample("hot_and_cold").display().to_string();
    let (html, stderr, status) = page_of(&["--profile-guest", profile.to_str().unwrap(), &hot]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(html.contains("Where the time went"));
    assert!(html.contains("aria-label=\"flame graph\""));
    assert!(html.contains("heavy"), "the hot function is named");
}

#[test]
fn a_page_that_cannot_be_written_is_refused_before_the_run() {
    let hello = sample("hello").display().to_string();
    let out = wasmscope(&["run", "--html", "/nonexistent/dir/page.html", &hello]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--html: cannot write"), "{stderr}");
    assert!(!text(&out.stdout).contains("Hello"), "the run went ahead");
}

/// Issue #23: the page names a refusal as the window and the CLI do: the errno by name and
/// number, both paths, and the link the sandbox allowed marked.
#[test]
fn a_refusal_on_the_page_names_the_errno_and_both_paths() {
    let class = tempfile::tempdir().unwrap();
    let granted = class.path().join("box");
    std::fs::create_dir(&granted).unwrap();
    let escape = sample("escape_attempts").display().to_string();
    let grant = format!("{}::/box", granted.display());
    let (html, stderr, status) = page_of(&["--log-calls", "--dir", &grant, &escape]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(html.contains("<td>perm (63)</td>"), "{html}");
    let both = format!(
        "path outside every preopened directory; guest &quot;../etc/passwd&quot; in /box leads \
         to host {}/etc/passwd, outside the granted {}",
        class.path().display(),
        granted.display()
    );
    assert!(html.contains(&both), "{html}");
    assert!(
        html.contains("success — allowed here, refused when followed"),
        "{html}"
    );
}

/// The page of a run of `escape_attempts` with a read-write folder granted, and the folders.
fn escape_page() -> (String, tempfile::TempDir, std::path::PathBuf) {
    let class = tempfile::tempdir().unwrap();
    let granted = class.path().join("box");
    std::fs::create_dir(&granted).unwrap();
    let escape = sample("escape_attempts").display().to_string();
    let grant = format!("{}::/box", granted.display());
    let (html, stderr, status) = page_of(&["--log-calls", "--dir", &grant, &escape]);
    assert_eq!(status, Some(0), "{stderr}");
    (html, class, granted)
}

/// Issue #23: the page draws the sandbox map: the folder as a door with its calls counted,
/// the escapes stopped at the wall with the errno and the host path they would have reached.
#[test]
fn the_page_draws_the_sandbox_map_with_its_doors_and_refusals() {
    let (html, class, granted) = escape_page();
    assert_self_contained(&html);
    let map = html
        .split("<h2>The sandbox map</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .unwrap_or_else(|| panic!("no map in {html}"));
    assert!(map.contains("aria-label=\"sandbox map\""), "{map}");
    for seen in [
        format!("{}", granted.display()),
        "folder, read-write".to_owned(),
        "refused".to_owned(),
        "perm (63)".to_owned(),
        format!("would reach {}/etc/passwd", class.path().display()),
        "always given by WASI".to_owned(),
        " through the doors, ".to_owned(),
    ] {
        assert!(map.contains(&seen), "{seen} missing in {map}");
    }
}

/// Where `chromium` is on PATH, if it is.
fn chromium() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Issue #23, in a real browser: headless Chromium reads the page (nothing fetched), and its
/// DOM has the page's text and the map as SVG with its doors and refusals. Skipped, with a
/// note, where Chromium is not installed (`.ci/run` installs it).
#[test]
fn a_browser_draws_the_report_and_its_sandbox_map() {
    let Some(chromium) = chromium() else {
        eprintln!("SKIPPED: chromium is not on PATH (apt-get install chromium to run this test)");
        return;
    };
    let (html, class, _granted) = escape_page();
    let page = class.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(profile.path().join("dom.html")).unwrap())
        .stderr(std::fs::File::create(profile.path().join("stderr.txt")).unwrap())
        .spawn()
        .unwrap();
    // A browser that cannot start here (no usable sandbox, a broken install) is the machine's
    // problem, not the page's: say so and skip, rather than hang or fail the suite.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut out = out;
    while out.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = out.kill();
            eprintln!("SKIPPED: chromium did not finish within 90 s");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = out.wait().unwrap();
    let dom = std::fs::read_to_string(profile.path().join("dom.html")).unwrap_or_default();
    if !status.success() || dom.is_empty() {
        let stderr = std::fs::read_to_string(profile.path().join("stderr.txt")).unwrap_or_default();
        eprintln!("SKIPPED: chromium could not render the page: {stderr}");
        return;
    }
    assert!(dom.contains("<h2>The sandbox map</h2>"), "{dom}");
    assert!(dom.contains("EXITED 0"), "{dom}");
    let map = dom
        .split("aria-label=\"sandbox map\"")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .unwrap_or_else(|| panic!("no SVG map in the browser's DOM: {dom}"));
    assert!(map.contains("<g class=\"door\">"), "no door drawn: {map}");
    assert!(
        map.contains("<g class=\"refusal\">"),
        "no refusal drawn: {map}"
    );
    assert!(map.contains("perm (63)"), "{map}");
    assert!(map.contains("The host"), "{map}");
}

/// With the call log off the map still has its doors, and says how many calls were refused
/// and how to see which.
#[test]
fn without_the_call_log_the_map_counts_the_refusals_in_words() {
    let class = tempfile::tempdir().unwrap();
    let escape = sample("escape_attempts").display().to_string();
    let grant = format!("{}::/box", class.path().display());
    let (html, stderr, status) = page_of(&["--dir", &grant, &escape]);
    assert_eq!(status, Some(0), "{stderr}");
    let map = html
        .split("<h2>The sandbox map</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .unwrap_or_else(|| panic!("no map in {html}"));
    assert!(map.contains("The call log was off"), "{map}");
    // Issue #34: the refused calls are drawn at the wall, counted as everywhere else, never
    // "nothing: no call was refused" beside a count.
    assert!(
        map.contains("the call log was off: ") && map.contains("stopped at the wall, drawn"),
        "{map}"
    );
    assert!(!map.contains("no call was refused"), "{map}");
    let heading = html
        .split("Refused by the sandbox (")
        .nth(1)
        .unwrap_or_default();
    let count: String = heading.chars().take_while(char::is_ascii_digit).collect();
    assert!(
        map.contains(&format!("Stopped at the wall ({count})")) && !count.is_empty(),
        "{count} {map}"
    );
    assert!(map.contains(&class.path().display().to_string()), "{map}");
}

#[test]
fn a_page_leads_with_the_guests_last_words_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let guest = dir.path().join("py.wat");
    let traceback = "Traceback (most recent call last):\n  File \"app.py\", line 6, in run\n    \
                     x()\nValueError: <b>not markup</b>\n";
    std::fs::write(
        &guest,
        words::dying_guest(traceback, "unreachable", &["run"]),
    )
    .unwrap();
    let (html, stderr, status) = page_of(&[guest.to_str().unwrap()]);
    assert_eq!(status, Some(134), "{stderr}");
    assert_self_contained(&html);
    assert!(
        html.contains("Python ValueError: &lt;b&gt;not markup&lt;/b&gt; — app.py:6"),
        "the words, escaped"
    );
    assert!(
        html.contains("(read from the guest&#39;s stderr)")
            || html.contains("(read from the guest's stderr)")
    );
    assert!(!html.contains("<b>not markup</b>"));
    // Issue #37: the sandbox map says it too, as why the guest died.
    let map = html
        .split("<h2>The sandbox map</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .unwrap_or_else(|| panic!("no map in {html}"));
    assert!(
        map.contains("It died: Python ValueError: &lt;b&gt;not markup&lt;/b&gt; — app.py:6"),
        "{map}"
    );
}
