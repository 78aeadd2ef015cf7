//! `README.md`'s session is a transcript, and this test runs it: every ```console block of
//! the section "A session", one `$ command` after another in one `bash` (so `export`,
//! redirections and `$(…)` work as typed), in a temporary directory holding `examples/`
//! and a `scripts/fichier` that runs the built CLI. Each block's output is compared with
//! the README's by snapbox: a command whose output changes fails the test.
//!
//! The format follows trycmd's `console` blocks: a line `$ command` (continued by lines
//! starting with `> `), then `? N` when the command must exit with status N (0 otherwise),
//! then its output (standard output and error together; trailing spaces and a command's
//! trailing blank lines are not compared). In expected output, `[..]` stands
//! for any characters within a line and a line `...` for any lines (snapbox's wildcards):
//! the transcript uses them only where the output is random (identity tokens, generated
//! receipt ids, chain hashes). The README pins the clock (`FICHIER_PINNED_CLOCK`) and the
//! master key (`FICHIER_MASTER_KEY`), so everything else is the same on every run.
//!
//! `SNAPSHOTS=overwrite` does not rewrite the README: copy the actual block from the
//! failure's diff.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One command of a block, with what the README expects of it.
struct Step {
    /// The command as typed (continuation lines joined by newlines).
    command: String,
    /// The command's lines as the README shows them (`$ …`, `> …`).
    shown: Vec<String>,
}

/// A ```console block: its commands and its whole expected text.
struct Block {
    /// Line in README.md where the block's first line is (for messages).
    line: usize,
    steps: Vec<Step>,
    expected: String,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The ```console blocks of the README's section "A session".
fn blocks(readme: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut in_session = false;
    let mut current: Option<(usize, Vec<String>)> = None;
    for (i, line) in readme.lines().enumerate() {
        if let Some(title) = line.strip_prefix("## ") {
            in_session = title.trim() == "A session";
            continue;
        }
        if !in_session {
            continue;
        }
        match &mut current {
            None if line.trim_end() == "```console" => current = Some((i + 2, Vec::new())),
            None => {}
            Some(_) if line.trim_end() == "```" => {
                let (start, lines) = current.take().unwrap();
                out.push(parse_block(start, &lines));
            }
            Some((_, lines)) => lines.push(line.to_string()),
        }
    }
    assert!(current.is_none(), "README.md: a ```console block is not closed");
    out
}

fn parse_block(line: usize, lines: &[String]) -> Block {
    let mut steps: Vec<Step> = Vec::new();
    for l in lines {
        if let Some(cmd) = l.strip_prefix("$ ") {
            steps.push(Step { command: cmd.to_string(), shown: vec![l.clone()] });
        } else if let (Some(cont), Some(step)) = (l.strip_prefix("> "), steps.last_mut()) {
            step.command.push('\n');
            step.command.push_str(cont);
            step.shown.push(l.clone());
        }
    }
    assert!(!steps.is_empty(), "README.md line {line}: a console block without a command");
    let mut expected = lines.join("\n");
    expected.push('\n');
    Block { line, steps, expected }
}

#[test]
fn the_readme_session_runs_as_shown() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(blocks.len() >= 5, "README.md's session has its blocks");

    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    // `scripts/fichier` as the README types it, running the CLI this test was built with.
    std::fs::create_dir(work.join("scripts")).unwrap();
    let shim = work.join("scripts/fichier");
    std::fs::write(&shim, "#!/bin/sh\nexec \"$FICHIER_BIN\" \"$@\"\n").unwrap();
    let mut perms = std::fs::metadata(&shim).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&shim, perms).unwrap();
    std::os::unix::fs::symlink(root().join("examples").canonicalize().unwrap(), work.join("examples")).unwrap();

    // One script for the whole session: each command's output and status to files.
    let results = work.join(".transcript");
    std::fs::create_dir(&results).unwrap();
    let mut script = String::from("set +e\n");
    let mut n = 0;
    for b in &blocks {
        for s in &b.steps {
            writeln!(script, "{{\n{}\n}} >{dir}/{n}.out 2>&1 </dev/null", s.command, dir = results.display()).unwrap();
            writeln!(script, "echo $? >{}/{n}.rc", results.display()).unwrap();
            n += 1;
        }
    }
    let run = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(work)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("FICHIER_BIN", env!("CARGO_BIN_EXE_fichier"))
        .output()
        .unwrap();
    assert!(run.status.success(), "bash: {}", String::from_utf8_lossy(&run.stderr));

    // Each block as it ran, in the README's format, against the README's block.
    let mut n = 0;
    for b in &blocks {
        let mut actual = String::new();
        for s in &b.steps {
            for l in &s.shown {
                writeln!(actual, "{l}").unwrap();
            }
            let rc = std::fs::read_to_string(results.join(format!("{n}.rc"))).unwrap();
            if rc.trim() != "0" {
                writeln!(actual, "? {}", rc.trim()).unwrap();
            }
            let output = std::fs::read_to_string(results.join(format!("{n}.out"))).unwrap();
            for l in output.trim_end().lines() {
                writeln!(actual, "{l}").unwrap();
            }
            n += 1;
        }
        eprintln!("README.md block at line {}", b.line);
        snapbox::Assert::new().normalize_paths(false).eq(trim_lines(&actual), trim_lines(&b.expected));
    }
}

/// Each line without its trailing spaces (which editors strip from a README).
fn trim_lines(text: &str) -> String {
    text.lines().map(|l| l.trim_end().to_string() + "\n").collect()
}
