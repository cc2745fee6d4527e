//! The model that learns on the device: a linear tagging head (softmax over labels) on top of
//! the sentence embeddings the graph already stores. Trained with candle's AdamW on CPU; only
//! its weights are ever shared, and only as a clipped, noised difference (see `privacy.rs`).

use super::LearnError;
use candle_core::{DType, Device, Tensor};
use candle_nn::{linear, Linear, Module, Optimizer, ParamsAdamW, VarBuilder, VarMap};

fn model_err(_: candle_core::Error) -> LearnError {
    LearnError::Model { what: "the tagging head" }
}

/// A linear head from `dim`-wide embeddings to `labels` classes.
pub struct TaggerHead {
    varmap: VarMap,
    layer: Linear,
    dim: usize,
    labels: usize,
}

impl std::fmt::Debug for TaggerHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaggerHead").field("dim", &self.dim).field("labels", &self.labels).finish()
    }
}

impl TaggerHead {
    /// A fresh head (candle's default initialisation).
    pub fn new(dim: usize, labels: usize) -> Result<Self, LearnError> {
        if dim == 0 || labels < 2 || dim > 4096 || labels > 256 {
            return Err(LearnError::InvalidInput {
                reason: "1 to 4096 inputs and 2 to 256 labels",
            });
        }
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let layer = linear(dim, labels, vb.pp("head")).map_err(model_err)?;
        Ok(Self { varmap, layer, dim, labels })
    }

    fn batch(&self, inputs: &[Vec<f32>]) -> Result<Tensor, LearnError> {
        if inputs.iter().any(|x| x.len() != self.dim || x.iter().any(|v| !v.is_finite())) {
            return Err(LearnError::InvalidInput { reason: "an embedding of the wrong size" });
        }
        let flat: Vec<f32> = inputs.iter().flatten().copied().collect();
        Tensor::from_vec(flat, (inputs.len(), self.dim), &Device::Cpu).map_err(model_err)
    }

    /// Checks training input (one label in range per example, a positive learning rate) and
    /// makes the input and label tensors.
    fn examples(
        &self,
        inputs: &[Vec<f32>],
        labels: &[u32],
        lr: f64,
    ) -> Result<(Tensor, Tensor), LearnError> {
        if inputs.is_empty() || inputs.len() != labels.len() {
            return Err(LearnError::InvalidInput { reason: "one label per example" });
        }
        if labels.iter().any(|l| *l as usize >= self.labels) {
            return Err(LearnError::InvalidInput { reason: "a label out of range" });
        }
        if !(lr.is_finite() && lr > 0.0) {
            return Err(LearnError::InvalidInput { reason: "the learning rate must be positive" });
        }
        let xs = self.batch(inputs)?;
        let ys =
            Tensor::from_vec(labels.to_vec(), labels.len(), &Device::Cpu).map_err(model_err)?;
        Ok((xs, ys))
    }

    /// Trains for `epochs` full-batch AdamW steps at learning rate `lr`; `cancelled` is asked
    /// between steps. Returns the last loss.
    pub fn train(
        &self,
        inputs: &[Vec<f32>],
        labels: &[u32],
        epochs: u32,
        lr: f64,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<f32, LearnError> {
        let (xs, ys) = self.examples(inputs, labels, lr)?;
        let params = ParamsAdamW { lr, ..Default::default() };
        let mut opt = candle_nn::AdamW::new(self.varmap.all_vars(), params).map_err(model_err)?;
        let mut last = f32::NAN;
        for _ in 0..epochs {
            if cancelled() {
                return Err(LearnError::Cancelled);
            }
            let logits = self.layer.forward(&xs).map_err(model_err)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &ys).map_err(model_err)?;
            opt.backward_step(&loss).map_err(model_err)?;
            last = loss.to_scalar::<f32>().map_err(model_err)?;
        }
        Ok(last)
    }

    /// A head holding `weights` (a global model, or a checkpoint).
    pub fn from_weights(weights: &super::HeadWeights) -> Result<Self, LearnError> {
        let head = Self::new(weights.dim, weights.labels)?;
        let w =
            Tensor::from_vec(weights.weight.clone(), (weights.labels, weights.dim), &Device::Cpu)
                .map_err(model_err)?;
        let b = Tensor::from_vec(weights.bias.clone(), weights.labels, &Device::Cpu)
            .map_err(model_err)?;
        {
            let vars = head.varmap.data().lock().unwrap_or_else(|p| p.into_inner());
            let set = |name: &str, t: &Tensor| {
                vars.get(name)
                    .ok_or(LearnError::Model { what: "the tagging head" })?
                    .set(t)
                    .map_err(model_err)
            };
            set("head.weight", &w)?;
            set("head.bias", &b)?;
        }
        Ok(head)
    }

    /// The head's parameters as plain numbers.
    pub fn head_weights(&self) -> Result<super::HeadWeights, LearnError> {
        super::HeadWeights::from_flat(self.dim, self.labels, &self.weights()?)
    }

    /// Mini-batch SGD, the federated rounds' local training: epochs `from..epochs`, each a pass
    /// over the examples in a fixed shuffled order (the same after a resume), in batches of
    /// `batch`. After each epoch `on_epoch(epochs_done)` runs (a checkpoint); `stop` is asked
    /// before each batch, and stopping returns the epochs fully done. Returns that count.
    #[allow(clippy::too_many_arguments)]
    pub fn train_sgd(
        &self,
        inputs: &[Vec<f32>],
        labels: &[u32],
        (from, epochs): (u32, u32),
        batch: usize,
        lr: f64,
        stop: &dyn Fn() -> bool,
        on_epoch: &mut dyn FnMut(u32) -> Result<(), LearnError>,
    ) -> Result<u32, LearnError> {
        if batch == 0 {
            return Err(LearnError::InvalidInput { reason: "batches of at least one example" });
        }
        let (xs, ys) = self.examples(inputs, labels, lr)?;
        let mut opt = candle_nn::SGD::new(self.varmap.all_vars(), lr).map_err(model_err)?;
        for epoch in from..epochs {
            let order = shuffled(inputs.len(), u64::from(epoch));
            for chunk in order.chunks(batch) {
                if stop() {
                    return Ok(epoch);
                }
                let idx = Tensor::from_vec(chunk.to_vec(), chunk.len(), &Device::Cpu)
                    .map_err(model_err)?;
                let x = xs.index_select(&idx, 0).map_err(model_err)?;
                let y = ys.index_select(&idx, 0).map_err(model_err)?;
                let logits = self.layer.forward(&x).map_err(model_err)?;
                let loss = candle_nn::loss::cross_entropy(&logits, &y).map_err(model_err)?;
                opt.backward_step(&loss).map_err(model_err)?;
            }
            on_epoch(epoch + 1)?;
        }
        Ok(epochs.max(from))
    }

    /// The share of `inputs` whose most likely label is `labels`'.
    pub fn accuracy(&self, inputs: &[Vec<f32>], labels: &[u32]) -> Result<f64, LearnError> {
        if inputs.is_empty() || inputs.len() != labels.len() {
            return Err(LearnError::InvalidInput { reason: "one label per example" });
        }
        let predicted = self.predict(inputs)?;
        let right = predicted.iter().zip(labels).filter(|(p, y)| p == y).count();
        Ok(right as f64 / labels.len() as f64)
    }

    /// The most likely label for each input.
    pub fn predict(&self, inputs: &[Vec<f32>]) -> Result<Vec<u32>, LearnError> {
        let logits = self.layer.forward(&self.batch(inputs)?).map_err(model_err)?;
        logits.argmax(1).and_then(|t| t.to_vec1::<u32>()).map_err(model_err)
    }

    /// Every weight, flattened in a fixed order (weight matrix, then bias): what an update is
    /// the difference of.
    pub fn weights(&self) -> Result<Vec<f32>, LearnError> {
        let mut out =
            self.layer.weight().flatten_all().and_then(|t| t.to_vec1()).map_err(model_err)?;
        if let Some(bias) = self.layer.bias() {
            out.extend(bias.to_vec1::<f32>().map_err(model_err)?);
        }
        Ok(out)
    }
}

/// 0..n in an order fixed by `seed` (Fisher–Yates over SplitMix64: not for secrets).
fn shuffled(n: usize, seed: u64) -> Vec<u32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(0x2545_F491_4F6C_DD1D);
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut order: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::{add_gaussian_noise, clip_l2, l2_norm};

    /// Three well-separated clusters in 16 dimensions, from a fixed arithmetic pattern.
    fn blobs(n: usize) -> (Vec<Vec<f32>>, Vec<u32>) {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..n {
            let label = (i % 3) as u32;
            let x: Vec<f32> = (0..16)
                .map(|d| {
                    let centre = if d % 3 == label as usize { 2.0 } else { 0.0 };
                    let wobble = (((i * 31 + d * 17) % 97) as f32 / 97.0 - 0.5) * 0.8;
                    centre + wobble
                })
                .collect();
            xs.push(x);
            ys.push(label);
        }
        (xs, ys)
    }

    #[test]
    fn the_head_learns_and_its_update_is_clipped_and_noised() {
        let (xs, ys) = blobs(300);
        let head = TaggerHead::new(16, 3).expect("head");
        let before = head.weights().expect("weights");
        assert_eq!(before.len(), 16 * 3 + 3);
        let loss = head.train(&xs, &ys, 200, 0.05, &|| false).expect("train");
        let predicted = head.predict(&xs).expect("predict");
        let right = predicted.iter().zip(&ys).filter(|(p, y)| p == y).count();
        assert!(right as f64 / ys.len() as f64 > 0.95, "accuracy {right}/300, loss {loss}");
        // From a random start (cross-entropy near ln 3 ≈ 1.1) the loss fell. The predictions
        // alone prove nothing: on three well-separated blobs a random start is sometimes right.
        assert!(loss < 0.3, "{loss}");
        // The update that would leave: the weight difference, clipped, then noised.
        let after = head.weights().expect("weights");
        let mut update: Vec<f32> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
        let norm = clip_l2(&mut update, 1.0).expect("clip");
        assert!(norm > 1.0 && l2_norm(&update) <= 1.0, "{norm}");
        add_gaussian_noise(&mut update, 1.0).expect("noise");
        assert_eq!(update.len(), after.len());
    }

    #[test]
    fn bad_training_input_is_refused_and_training_cancels() {
        let head = TaggerHead::new(4, 2).expect("head");
        let ok = vec![vec![0.0f32; 4]];
        assert!(head.train(&ok, &[0, 1], 1, 0.1, &|| false).is_err(), "label count");
        assert!(head.train(&ok, &[2], 1, 0.1, &|| false).is_err(), "label range");
        assert!(head.train(&[vec![0.0f32; 3]], &[0], 1, 0.1, &|| false).is_err(), "width");
        assert!(head.train(&[vec![f32::NAN; 4]], &[0], 1, 0.1, &|| false).is_err(), "NaN");
        assert!(head.train(&ok, &[0], 1, -1.0, &|| false).is_err(), "learning rate");
        assert!(matches!(head.train(&ok, &[0], 5, 0.1, &|| true), Err(LearnError::Cancelled)));
        assert!(TaggerHead::new(0, 2).is_err() && TaggerHead::new(4, 1).is_err());
        let mut epoch = |_| Ok(());
        assert!(
            head.train_sgd(&ok, &[0], (0, 1), 0, 0.1, &|| false, &mut epoch).is_err(),
            "batch 0"
        );
        assert!(head.train_sgd(&ok, &[5], (0, 1), 1, 0.1, &|| false, &mut epoch).is_err(), "label");
        let weights = super::super::HeadWeights::zeros(3, 2).expect("zeros");
        assert!(TaggerHead::from_weights(&weights).is_ok());
        assert_eq!(
            head.accuracy(&ok, &[0]).expect("accuracy"),
            1.0 - head.accuracy(&ok, &[1]).expect("accuracy")
        );
    }
}
