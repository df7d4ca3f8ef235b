//! Prints the workflow's step DAG and its critical path: the fewest sequential round trips
//! Run all needs, against the 21 of the documented order. `bench/critical-path.sh` runs this.

use pingone::workflow::{critical_path, validate, STEPS};

fn main() {
    if let Err(e) = validate(&STEPS) {
        eprintln!("invalid workflow DAG: {e}");
        std::process::exit(1);
    }
    println!("{:>3}  {:<10} {:<42} depends on", "#", "phase", "step");
    for s in STEPS.iter() {
        let deps: Vec<String> = s.depends_on.iter().map(|d| d.number().to_string()).collect();
        println!("{:>3}  {:<10} {:<42} {}", s.number(), s.phase.title(), s.title, deps.join(", "));
    }
    let path = match critical_path(&STEPS) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let numbers: Vec<String> = path.iter().map(|s| s.number().to_string()).collect();
    println!();
    println!("critical path: {}", numbers.join(" -> "));
    println!(
        "sequential round trips: {} along the DAG vs {} in documented order ({:.2}x fewer)",
        path.len(),
        STEPS.len(),
        STEPS.len() as f64 / path.len() as f64
    );
}
