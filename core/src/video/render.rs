//! Drawing a storyboard's frames: each photo decoded once when its scene begins, pre-scaled
//! once to about 1.25x the output (sampling a 12 MP original per frame wastes memory and
//! aliases), then per frame cropped along its Ken Burns move with bilinear sampling, and
//! crossfaded into the next. At most two scenes are held at a time: memory is bounded by two
//! pre-scaled photos and one frame, whatever the video's length.

use super::storyboard::{Rect, Scene, Storyboard, Visual};
use super::text::{Fonts, Placement, TextBlock};
use super::VideoError;
use crate::graph::{MediaId, MemoryGraph};
use image::imageops::FilterType;
use image::{Rgb, RgbImage};
use std::io::Read;

/// Pre-scaling target: the photo's widest crop is drawn from this many times the frame's size.
pub const PRESCALE: f32 = 1.25;
/// Title card background (a warm dark grey).
const CARD: Rgb<u8> = Rgb([38, 34, 32]);

/// A scene's picture, ready to sample.
struct Prepared {
    index: usize,
    /// `None` for a title card.
    pixels: Option<RgbImage>,
    /// A title card's title.
    title: Option<TextBlock>,
}

/// Captions fade in and out over this long.
const CAPTION_FADE_MS: u32 = 150;

/// Draws frames of one storyboard, in time order (random access works, but re-prepares).
pub struct FrameRenderer<'g> {
    graph: &'g MemoryGraph,
    board: Storyboard,
    width: u32,
    height: u32,
    prepared: Vec<Prepared>,
    fonts: Option<Fonts>,
    /// The caption on screen, drawn once: its index in the storyboard and its block.
    caption: Option<(usize, Option<TextBlock>)>,
}

impl std::fmt::Debug for FrameRenderer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameRenderer")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

fn ease(t: f32) -> f32 {
    // Smoothstep: the move starts and ends gently.
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn lerp_rect(a: Rect, b: Rect, t: f32) -> Rect {
    let l = |x: f32, y: f32| x + (y - x) * t;
    Rect { x: l(a.x, b.x), y: l(a.y, b.y), w: l(a.w, b.w), h: l(a.h, b.h) }
}

impl<'g> FrameRenderer<'g> {
    pub fn new(graph: &'g MemoryGraph, board: Storyboard) -> Self {
        let (width, height) = board.resolution.size();
        Self { graph, board, width, height, prepared: Vec::new(), fonts: None, caption: None }
    }

    /// Draws captions, and titles on title cards, with these fonts (without: pictures only).
    pub fn with_fonts(mut self, fonts: Fonts) -> Self {
        self.fonts = Some(fonts);
        self
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    pub fn storyboard(&self) -> &Storyboard {
        &self.board
    }

    fn decode_photo(&self, id: MediaId, crop_w: f32) -> Result<RgbImage, VideoError> {
        let mut bytes = Vec::new();
        self.graph.open_media(id)?.read_to_end(&mut bytes).map_err(|e| {
            VideoError::Graph(crate::graph::GraphError::Media(crate::media::MediaError::Io {
                op: "read a photo",
                kind: e.kind(),
            }))
        })?;
        let photo = crate::media::decode(&bytes)
            .map_err(|e| VideoError::Graph(crate::graph::GraphError::Media(e)))?;
        drop(bytes);
        let image = photo.image;
        // The widest crop (crop_w of the photo's width) should span PRESCALE frame widths.
        let target_w = (PRESCALE * self.width as f32 / crop_w.max(1e-3)).round() as u32;
        let scale = target_w as f32 / image.width() as f32;
        let target_h = (image.height() as f32 * scale).round().max(1.0) as u32;
        let scaled = if (scale - 1.0).abs() < 0.02 {
            image.to_rgb8()
        } else {
            image.resize_exact(target_w.max(1), target_h, FilterType::CatmullRom).to_rgb8()
        };
        Ok(scaled)
    }

    fn prepare(&mut self, index: usize) -> Result<(), VideoError> {
        if self.prepared.iter().any(|p| p.index == index) {
            return Ok(());
        }
        let pixels = match &self.board.scenes[index].visual {
            Visual::Photo { media_id, motion } => {
                let widest = motion.from.w.max(motion.to.w);
                Some(self.decode_photo(*media_id, widest)?)
            }
            Visual::TitleCard { .. } => None,
        };
        let title = match (&self.board.scenes[index].visual, &self.fonts) {
            (Visual::TitleCard { title }, Some(fonts)) => {
                fonts.block(title, self.width, self.height, Placement::Centre)
            }
            _ => None,
        };
        self.prepared.push(Prepared { index, pixels, title });
        Ok(())
    }

    /// Scenes on screen at `t_ms`: one, or two during a crossfade (earlier first).
    fn active(&self, t_ms: u32) -> Vec<usize> {
        let scenes: &[Scene] = &self.board.scenes;
        let mut on: Vec<usize> = scenes
            .iter()
            .enumerate()
            .filter(|(_, s)| t_ms >= s.start_ms && t_ms < s.start_ms + s.duration_ms)
            .map(|(i, _)| i)
            .collect();
        if on.is_empty() && !scenes.is_empty() {
            on.push(if t_ms < scenes[0].start_ms { 0 } else { scenes.len() - 1 });
        }
        on.truncate(2);
        on
    }

    /// Draws the scene `index` at `t_ms` into `out`, blended over what is there with `alpha`.
    fn draw(&self, index: usize, t_ms: u32, alpha: f32, out: &mut RgbImage) {
        let scene = &self.board.scenes[index];
        let Some(prepared) = self.prepared.iter().find(|p| p.index == index) else { return };
        let progress =
            ease((t_ms.saturating_sub(scene.start_ms)) as f32 / scene.duration_ms.max(1) as f32);
        let blend = |dst: &mut Rgb<u8>, src: [f32; 3]| {
            for c in 0..3 {
                let d = f32::from(dst[c]);
                dst[c] = (d + (src[c] - d) * alpha).round().clamp(0.0, 255.0) as u8;
            }
        };
        match (&scene.visual, &prepared.pixels) {
            (Visual::Photo { motion, .. }, Some(pixels)) => {
                let r = lerp_rect(motion.from, motion.to, progress);
                sample_into(pixels, r, alpha, out);
            }
            _ => {
                let card = [f32::from(CARD[0]), f32::from(CARD[1]), f32::from(CARD[2])];
                for px in out.pixels_mut() {
                    blend(px, card);
                }
                if let Some(title) = &prepared.title {
                    title.draw(out, alpha);
                }
            }
        }
    }

    /// The frame at `t_ms` from the start of the video.
    pub fn frame(&mut self, t_ms: u32) -> Result<RgbImage, VideoError> {
        let on = self.active(t_ms);
        // Scenes no longer on screen (and none coming back: time runs forward) are dropped.
        let first = on.first().copied().unwrap_or(0);
        self.prepared.retain(|p| p.index >= first);
        for &i in &on {
            self.prepare(i)?;
        }
        let mut out = RgbImage::from_pixel(self.width, self.height, Rgb([0, 0, 0]));
        if let Some(&base) = on.first() {
            self.draw(base, t_ms, 1.0, &mut out);
        }
        if let [earlier, later] = on[..] {
            // The later scene fades in over the overlap.
            let start = self.board.scenes[later].start_ms;
            let end = self.board.scenes[earlier].start_ms + self.board.scenes[earlier].duration_ms;
            let alpha = (t_ms - start) as f32 / (end - start).max(1) as f32;
            self.draw(later, t_ms, alpha.clamp(0.0, 1.0), &mut out);
        }
        self.draw_caption(t_ms, &mut out);
        Ok(out)
    }

    /// The caption showing at `t_ms`, faded at its ends.
    fn draw_caption(&mut self, t_ms: u32, out: &mut RgbImage) {
        let Some(fonts) = &self.fonts else { return };
        let Some(index) =
            self.board.captions.iter().position(|c| t_ms >= c.start_ms && t_ms < c.end_ms)
        else {
            return;
        };
        if self.caption.as_ref().map(|(i, _)| *i) != Some(index) {
            let text = &self.board.captions[index].text;
            self.caption =
                Some((index, fonts.block(text, self.width, self.height, Placement::Bottom)));
        }
        let caption = &self.board.captions[index];
        let edge = (t_ms - caption.start_ms).min(caption.end_ms - t_ms);
        let opacity = ((edge as f32 + 0.5) / CAPTION_FADE_MS as f32).min(1.0);
        if let Some((_, Some(block))) = &self.caption {
            block.draw(out, opacity);
        }
    }

    /// Bytes held by prepared photos (for tests of the memory bound).
    pub fn held_bytes(&self) -> usize {
        self.prepared.iter().filter_map(|p| p.pixels.as_ref()).map(|p| p.as_raw().len()).sum()
    }
}

/// Fixed-point weights: 8 bits between neighbouring source pixels.
const FRAC: u32 = 256;

/// Where one output column or row samples the source: the two neighbours (as offsets) and the
/// weight of the second, in 1/256.
#[derive(Clone, Copy)]
struct Tap {
    a: usize,
    b: usize,
    w: u32,
}

fn taps(count: u32, start: f32, step: f32, limit: u32, scale: usize) -> Vec<Tap> {
    (0..count)
        .map(|i| {
            // Sample at the output pixel's centre.
            let u = (start + (i as f32 + 0.5) * step - 0.5).clamp(0.0, (limit - 1) as f32);
            let a = u.floor() as u32;
            let b = (a + 1).min(limit - 1);
            let w = ((u - a as f32) * FRAC as f32).round() as u32;
            Tap { a: a as usize * scale, b: b as usize * scale, w: w.min(FRAC) }
        })
        .collect()
}

/// Draws the `crop` of `pixels` over the whole of `out`, bilinearly (integer weights, the
/// column taps computed once per frame), blended over what is there with `alpha`.
fn sample_into(pixels: &RgbImage, crop: Rect, alpha: f32, out: &mut RgbImage) {
    let (pw, ph) = (pixels.width(), pixels.height());
    let (ow, oh) = (out.width(), out.height());
    let cols = taps(ow, crop.x * pw as f32, crop.w * pw as f32 / ow as f32, pw, 3);
    let rows = taps(oh, crop.y * ph as f32, crop.h * ph as f32 / oh as f32, ph, pw as usize * 3);
    let src = pixels.as_raw();
    let opacity = (alpha.clamp(0.0, 1.0) * FRAC as f32).round() as u32;
    let stride = ow as usize * 3;
    for (row, line) in rows.iter().zip(out.chunks_exact_mut(stride)) {
        let (top, bottom) = (&src[row.a..], &src[row.b..]);
        let (wy, wy0) = (row.w, FRAC - row.w);
        for (col, px) in cols.iter().zip(line.chunks_exact_mut(3)) {
            let (wx, wx0) = (col.w, FRAC - col.w);
            for c in 0..3 {
                let t = u32::from(top[col.a + c]) * wx0 + u32::from(top[col.b + c]) * wx;
                let b = u32::from(bottom[col.a + c]) * wx0 + u32::from(bottom[col.b + c]) * wx;
                // Two 8-bit weights: the sum is in 1/65536.
                let value = (t * wy0 + b * wy + (1 << 15)) >> 16;
                px[c] = if opacity >= FRAC {
                    value as u8
                } else {
                    let d = u32::from(px[c]);
                    ((d * (FRAC - opacity) + value * opacity + FRAC / 2) / FRAC) as u8
                };
            }
        }
    }
}

#[cfg(test)]
fn bilinear(img: &RgbImage, u: f32, v: f32) -> [f32; 3] {
    let (x0, y0) = (u.floor() as u32, v.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(img.width() - 1), (y0 + 1).min(img.height() - 1));
    let (fx, fy) = (u - x0 as f32, v - y0 as f32);
    let p = |x, y| img.get_pixel(x, y).0;
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    let mut out = [0f32; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let top = f32::from(a[k]) * (1.0 - fx) + f32::from(b[k]) * fx;
        let bottom = f32::from(c[k]) * (1.0 - fx) + f32::from(d[k]) * fx;
        *o = top * (1.0 - fy) + bottom * fy;
    }
    out
}

#[cfg(test)]
mod sample_tests {
    use super::*;

    #[test]
    fn integer_sampling_matches_float_bilinear_and_blends() {
        let img = RgbImage::from_fn(97, 61, |x, y| {
            Rgb([(x * 7 % 256) as u8, (y * 13 % 256) as u8, ((x * y) % 256) as u8])
        });
        let crop = Rect { x: 0.113, y: 0.07, w: 0.71, h: 0.8 };
        let mut out = RgbImage::new(64, 36);
        sample_into(&img, crop, 1.0, &mut out);
        let (pw, ph) = (img.width() as f32, img.height() as f32);
        let (sx, sy) = (crop.w * pw / 64.0, crop.h * ph / 36.0);
        for (x, y, px) in out.enumerate_pixels() {
            let u = (crop.x * pw + (x as f32 + 0.5) * sx - 0.5).clamp(0.0, pw - 1.0);
            let v = (crop.y * ph + (y as f32 + 0.5) * sy - 0.5).clamp(0.0, ph - 1.0);
            let want = bilinear(&img, u, v);
            for c in 0..3 {
                assert!((f32::from(px[c]) - want[c]).abs() <= 1.5, "{x},{y}: {px:?} vs {want:?}");
            }
        }
        // Half opacity over black: half the value.
        let mut half = RgbImage::new(64, 36);
        sample_into(&img, crop, 0.5, &mut half);
        for (a, b) in out.as_raw().iter().zip(half.as_raw()) {
            assert!((i32::from(*a) / 2 - i32::from(*b)).abs() <= 1);
        }
    }
}
