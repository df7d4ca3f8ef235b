/// The embed's entry point (docs/embedding.md): the module `embed/embed.js` loads for iframe
/// (`embed/frame.html`) and script-include embeds. The loader mounts each instance through the
/// module's exports; loaded without it, the module mounts one iframe embed into `<body>`.
fn main() {
    workbench::app::forget_callback_params();
    workbench::embed::boot();
}
