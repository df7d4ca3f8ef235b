/// The app's entry point, run when the module starts: mounts the app into `<body>`, or the
/// iframe embed when the page is framed (or has `?embed`), or nothing when `embed/embed.js`
/// loaded the module (it mounts each instance itself). See `workbench::embed::boot`.
///
/// `--cfg workbench_no_embed` builds the app without the embed (nothing references it, so
/// nothing of it is linked): `bench/size.sh` prices the embed with it.
#[allow(unexpected_cfgs)]
fn main() {
    workbench::app::forget_callback_params();
    #[cfg(not(workbench_no_embed))]
    workbench::embed::boot();
    #[cfg(workbench_no_embed)]
    leptos::mount::mount_to_body(workbench::App);
}
