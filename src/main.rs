#[tokio::main]
async fn main() {
    std::process::exit(mig::cli::main().await);
}
