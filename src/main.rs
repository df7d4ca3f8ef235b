/// The app's entry point (the page `index.html`): mounts the app into `<body>`. A framed
/// `index.html`, or one with `embed` in its query, is an iframe embed: it goes on to
/// `embed/frame.html` with the same query, which starts the embed's own module
/// (`workbench-embed`, src/bin/workbench-embed.rs), so this module carries no embed code.
fn main() {
    workbench::app::forget_callback_params();
    if workbench::app::open_as_frame_embed() {
        return;
    }
    leptos::mount::mount_to_body(workbench::App);
}
