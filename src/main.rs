fn main() {
    leptos::mount::mount_to_body(workbench::App);
}
