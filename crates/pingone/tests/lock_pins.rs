#![cfg(not(target_arch = "wasm32"))]
//! Versions the workspace holds in Cargo.lock on purpose, listed with their reasons in the root
//! Cargo.toml's `[workspace.metadata.pins]`: a `cargo update` that moves one fails here.

use std::path::Path;
use toml::Table;

fn root_toml(name: &str) -> Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.parse().unwrap_or_else(|e| panic!("{} is not TOML: {e}", path.display()))
}

#[test]
fn every_pin_in_the_manifest_holds_in_the_lock() {
    let manifest = root_toml("Cargo.toml");
    let pins = manifest["workspace"]["metadata"]["pins"].as_table().expect("[workspace.metadata.pins] is a table");
    assert!(!pins.is_empty(), "[workspace.metadata.pins] lists no pin");
    let lock = root_toml("Cargo.lock");
    let packages = lock["package"].as_array().expect("Cargo.lock lists packages");
    for (name, version) in pins {
        let locked: Vec<&str> = packages
            .iter()
            .filter(|p| p["name"].as_str() == Some(name.as_str()))
            .filter_map(|p| p["version"].as_str())
            .collect();
        assert_eq!(
            locked,
            [version.as_str().expect("a pin is a version string")],
            "Cargo.lock holds {name} at {locked:?} (see [workspace.metadata.pins] in Cargo.toml for why it is pinned)"
        );
    }
}
