//! One local federated round on the device, for `scripts/bench-learn`: from the global model
//! (zeros), mini-batch SGD over the examples, the weight difference clipped to C and noised with
//! σC from the OS CSPRNG, serialised as a safetensors update with its round metadata, sealed to
//! an age recipient (what the outbox does before upload). Prints one JSON line: the seconds the
//! round took (data generation excluded), update and sealed sizes, and the training accuracy.
//!
//! usage: learn_round [--examples 1000] [--dim 384] [--labels 8] [--epochs 2] [--batch 8]
//!        [--write-data FILE]   (the examples as f32 rows + u32 labels, for the numpy peer)

use heirloom_core::learn::{add_gaussian_noise, clip_l2, HeadWeights, TaggerHead};
use heirloom_core::seal::{Identity, Sealer};
use std::io::Write;
use std::time::Instant;

#[path = "../benches/common/rng.rs"]
mod rng;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Unit vectors around one random centre per label, like sentence embeddings of a topic.
fn examples(n: usize, dim: usize, labels: usize) -> (Vec<Vec<f32>>, Vec<u32>) {
    let mut r = rng::Rng(0x5eed_1234_abcd_0001);
    let mut uniform = move || (r.next() >> 11) as f32 / (1u64 << 53) as f32 - 0.5;
    let centres: Vec<Vec<f32>> =
        (0..labels).map(|_| (0..dim).map(|_| uniform()).collect()).collect();
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for i in 0..n {
        let label = i % labels;
        let mut v: Vec<f32> = centres[label].iter().map(|c| c + 1.5 * uniform()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.iter_mut().for_each(|x| *x /= norm);
        xs.push(v);
        ys.push(label as u32);
    }
    (xs, ys)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--examples", 1000);
    let dim = arg(&args, "--dim", 384);
    let labels = arg(&args, "--labels", 8);
    let epochs = arg(&args, "--epochs", 2) as u32;
    let batch = arg(&args, "--batch", 8);
    let (xs, ys) = examples(n, dim, labels);
    if let Some(path) = args.iter().position(|a| a == "--write-data").and_then(|i| args.get(i + 1))
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("data file"));
        for x in &xs {
            x.iter().for_each(|v| f.write_all(&v.to_le_bytes()).expect("write"));
        }
        ys.iter().for_each(|y| f.write_all(&y.to_le_bytes()).expect("write"));
        f.flush().expect("flush");
    }
    let enclave = Identity::generate().expect("key");
    let start = Instant::now();
    let global = HeadWeights::zeros(dim, labels).expect("model");
    let head = TaggerHead::from_weights(&global).expect("head");
    head.train_sgd(&xs, &ys, (0, epochs), batch, 0.5, &|| false, &mut |_| Ok(())).expect("train");
    let mut delta = head.head_weights().expect("weights").minus(&global).expect("delta").flat();
    let norm = clip_l2(&mut delta, 1.0).expect("clip");
    add_gaussian_noise(&mut delta, 1.0).expect("noise");
    let update = HeadWeights::from_flat(dim, labels, &delta)
        .expect("update")
        .to_safetensors(&[("round", "1".into()), ("example_count", n.to_string())])
        .expect("safetensors");
    let mut sealer = Sealer::new(&[enclave.recipient()], Vec::new()).expect("sealer");
    sealer.write_all(&update).expect("seal");
    let (sealed, _) = sealer.finish().expect("sealed");
    let seconds = start.elapsed().as_secs_f64();
    let accuracy = head.accuracy(&xs, &ys).expect("accuracy");
    println!(
        "{{\"seconds\": {seconds:.4}, \"update_bytes\": {}, \"sealed_bytes\": {}, \"norm_before_clip\": {norm:.3}, \"train_accuracy\": {accuracy:.3}}}",
        update.len(),
        sealed.len()
    );
}
