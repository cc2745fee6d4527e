//! `learn simulate --plot FILE`: the held-out accuracy per round as a PNG, the federated curve
//! next to central training, with the chance level dashed. Drawn with `image` (and the caption
//! fonts for the legend, when installed); no plotting library.

use crate::output::CliError;
use image::{Rgb, RgbImage};
use std::path::Path;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 600;
/// The plotting area inside the margins (the bottom margin holds the legend).
const LEFT: i32 = 60;
const RIGHT: i32 = 930;
const TOP: i32 = 30;
const BOTTOM: i32 = 480;

pub const FEDERATED: Rgb<u8> = Rgb([31, 100, 200]);
pub const CENTRAL: Rgb<u8> = Rgb([120, 120, 120]);
const GRID: Rgb<u8> = Rgb([225, 225, 225]);
const AXIS: Rgb<u8> = Rgb([40, 40, 40]);

/// One curve: accuracy after each round (round 1 first).
pub struct Curve<'a> {
    pub accuracy: &'a [f64],
    pub colour: Rgb<u8>,
}

fn point(round: usize, rounds: usize, accuracy: f64) -> (i32, i32) {
    let span = (rounds.max(2) - 1) as f64;
    let x = LEFT as f64 + (RIGHT - LEFT) as f64 * (round as f64 / span);
    let y = BOTTOM as f64 - (BOTTOM - TOP) as f64 * accuracy.clamp(0.0, 1.0);
    (x.round() as i32, y.round() as i32)
}

fn dot(img: &mut RgbImage, x: i32, y: i32, radius: i32, colour: Rgb<u8>) {
    for dy in -radius..=radius {
        for dx in -radius..=radius {
            let (px, py) = (x + dx, y + dy);
            if dx * dx + dy * dy <= radius * radius
                && (0..WIDTH as i32).contains(&px)
                && (0..HEIGHT as i32).contains(&py)
            {
                img.put_pixel(px as u32, py as u32, colour);
            }
        }
    }
}

/// A line of `width` pixels; `dash` > 0 leaves gaps every `dash` steps.
fn line(
    img: &mut RgbImage,
    from: (i32, i32),
    to: (i32, i32),
    width: i32,
    dash: i32,
    colour: Rgb<u8>,
) {
    let steps = (to.0 - from.0).abs().max((to.1 - from.1).abs()).max(1);
    for i in 0..=steps {
        if dash > 0 && (i / dash) % 2 == 1 {
            continue;
        }
        let t = f64::from(i) / f64::from(steps);
        let x = from.0 as f64 + (to.0 - from.0) as f64 * t;
        let y = from.1 as f64 + (to.1 - from.1) as f64 * t;
        dot(img, x.round() as i32, y.round() as i32, width / 2, colour);
    }
}

/// Renders the curves (accuracy 0 to 1, grid lines every 0.1 and every round); `chance` is drawn
/// dashed. The legend needs the caption fonts in `models`; without them the plot has no text.
pub fn accuracy_png(
    path: &Path,
    curves: &[Curve<'_>],
    chance: f64,
    legend: &str,
    models: &Path,
) -> Result<(), CliError> {
    let rounds = curves.iter().map(|c| c.accuracy.len()).max().unwrap_or(0);
    if rounds == 0 {
        return Err(CliError::Input("nothing to plot".into()));
    }
    let mut img = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
    // Grid: accuracy every 0.1, a line per round.
    for tenth in 0..=10 {
        let (_, y) = point(0, rounds, f64::from(tenth) / 10.0);
        line(&mut img, (LEFT, y), (RIGHT, y), 1, 0, GRID);
    }
    for r in 0..rounds {
        let (x, _) = point(r, rounds, 0.0);
        line(&mut img, (x, TOP), (x, BOTTOM), 1, 0, GRID);
    }
    line(&mut img, (LEFT, TOP), (LEFT, BOTTOM), 2, 0, AXIS);
    line(&mut img, (LEFT, BOTTOM), (RIGHT, BOTTOM), 2, 0, AXIS);
    let (_, y) = point(0, rounds, chance);
    line(&mut img, (LEFT, y), (RIGHT, y), 2, 8, AXIS);
    for curve in curves {
        let points: Vec<(i32, i32)> =
            curve.accuracy.iter().enumerate().map(|(r, a)| point(r, rounds, *a)).collect();
        for pair in points.windows(2) {
            line(&mut img, pair[0], pair[1], 3, 0, curve.colour);
        }
        for p in &points {
            dot(&mut img, p.0, p.1, 4, curve.colour);
        }
    }
    // The legend goes under the plot: laid out as a caption of a full-size frame, then that
    // band is copied below the axes.
    let mut out = image::imageops::crop_imm(&img, 0, 0, WIDTH, (BOTTOM + 12) as u32).to_image();
    if let Ok(fonts) = heirloom_core::video::Fonts::load(models) {
        let placement = heirloom_core::video::Placement::Bottom;
        if let Some(block) = fonts.block(legend, WIDTH, HEIGHT, placement) {
            let mut frame = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
            block.draw(&mut frame, 1.0);
            let (_, y, _, h) = block.rect();
            let y = y.clamp(0, HEIGHT as i32 - 1) as u32;
            let band = image::imageops::crop_imm(&frame, 0, y, WIDTH, h.min(HEIGHT - y)).to_image();
            let mut joined =
                RgbImage::from_pixel(WIDTH, out.height() + band.height(), Rgb([255, 255, 255]));
            image::imageops::replace(&mut joined, &out, 0, 0);
            image::imageops::replace(&mut joined, &band, 0, i64::from(out.height()));
            out = joined;
        }
    }
    out.save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| CliError::Input(format!("cannot write the plot ({e})")))
}
