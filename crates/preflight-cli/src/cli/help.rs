//! What `--help` adds to the flags clap derives: examples for every
//! command, the exit codes and the environment variables. Kept in one table
//! so that the man page and the tests see the same text.

use clap::Command;

/// Exit codes and environment variables, shown under every command's help.
const FOOTER: &str = "\
Exit codes: 0 everything checked passes, 1 a file fails or errors (or the service refused),
2 usage error or nothing could be checked, 130 interrupted.

Environment: PREFLIGHT_API_KEY (the API token; never an argument), PREFLIGHT_BASE_URL
(default of --base-url), NO_COLOR (no colour with --color auto).";

/// Examples per command, by its path under `preflight`.
pub const EXAMPLES: &[(&[&str], &str)] = &[
    (
        &[],
        "preflight check photo.jpg clips/           # a table, then a summary
  preflight fix media/ --out ready/            # repaired copies of what fails
  preflight upload refs/ --group launch-refs   # check, then upload what passes",
    ),
    (
        &["check"],
        "preflight check photo.jpg clips/ sounds/
  preflight check --format ndjson media/ | jq .
  preflight check --profile strict.toml -j 4 media/
  fd -e jpg -0 | preflight check --files-from -
  preflight check https://cdn.example.com/clip.mp4 s3://bucket/refs/ --jobs 128",
    ),
    (
        &["fix"],
        "preflight fix media/ --out ready/             # writes ready/media/…
  preflight fix media/ --out ready/ --dry-run   # print the plans, write nothing
  preflight fix clip.mp4 --out ready/ --trim middle",
    ),
    (
        &["upload"],
        "preflight upload refs/ --group launch-refs --wait
  preflight upload refs/ --group-id group-123 --fix --fix-out ../ready/",
    ),
    (&["groups"], "preflight groups list"),
    (
        &["groups", "list"],
        "preflight groups list
  preflight groups list --format json",
    ),
    (
        &["assets"],
        "preflight assets list --group-id group-123 --status Active
  preflight assets get asset-20260101-abc",
    ),
    (
        &["assets", "list"],
        "preflight assets list --group-id group-123 --status Active
  preflight assets list --format json",
    ),
    (
        &["assets", "get"],
        "preflight assets get asset-20260101-abc
  preflight assets get asset://asset-20260101-abc --format json",
    ),
    (
        &["request"],
        "preflight request --text \"the cat walks to the music\" refs/cat.jpg refs/beat.mp3 > content.json
  preflight request --first-frame asset://asset-20260101-abc --text \"zoom out\"
  preflight request --mode first-last --text \"dawn to dusk\" refs/dawn.jpg refs/dusk.jpg",
    ),
    (
        &["profiles"],
        "preflight profiles
  preflight profiles show kling-i2v > mine.toml
  preflight check --profile kling-i2v refs/",
    ),
    (
        &["generate"],
        "preflight generate --model doubao-seedance-2-0-260128 --text \"the cat walks\" \\
      --ratio 16:9 --resolution 720p --duration 5 --out videos/ refs/cat.jpg
  preflight generate --model doubao-seedance-2-0-260128 --dry-run refs/cat.jpg",
    ),
    (
        &["task"],
        "preflight task get cgt-20260101-abc
  preflight task wait cgt-20260101-abc --out videos/",
    ),
    (&["task", "get"], "preflight task get cgt-20260101-abc"),
    (
        &["task", "wait"],
        "preflight task wait cgt-20260101-abc --out videos/",
    ),
    (
        &["completions"],
        "preflight completions bash > ~/.local/share/bash-completion/completions/preflight
  preflight completions zsh > ~/.zfunc/_preflight
  preflight completions fish > ~/.config/fish/completions/preflight.fish",
    ),
    (
        &["profiles", "list"],
        "preflight profiles list",
    ),
    (
        &["profiles", "show"],
        "preflight profiles show sora2
  preflight profiles show ./mine.toml",
    ),
    (
        &["man"],
        "preflight man > preflight.1 && man ./preflight.1
  preflight man | gzip > /usr/local/share/man/man1/preflight.1.gz",
    ),
];

fn with_examples(cmd: Command, examples: &'static str) -> Command {
    cmd.after_help(format!("Examples:\n  {examples}\n\n{FOOTER}"))
}

/// Adds the examples and the footer to `root` and its subcommands.
pub fn decorate(mut root: Command) -> Command {
    for (path, examples) in EXAMPLES {
        root = apply(root, path, examples);
    }
    root
}

fn apply(cmd: Command, path: &[&str], examples: &'static str) -> Command {
    match path.split_first() {
        None => with_examples(cmd, examples),
        Some((first, rest)) => {
            let rest: Vec<&str> = rest.to_vec();
            let first = first.to_string();
            if cmd.find_subcommand(&first).is_none() {
                return cmd;
            }
            cmd.mut_subcommand(first, move |c| apply(c, &rest, examples))
        }
    }
}
