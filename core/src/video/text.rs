//! Captions and titles drawn on frames with `ab_glyph`: DejaVu Sans for most scripts, Noto Sans
//! SC for the Chinese and Japanese characters it lacks (per character: a line can mix both).
//! Lines wrap at spaces, and between CJK characters, which have none. Text is drawn white on a
//! translucent dark band so it reads over any photo.

use super::VideoError;
use ab_glyph::{Font, FontArc, Glyph, GlyphId, PxScale, ScaleFont};
use image::RgbImage;
use std::path::Path;

/// Where the fonts are, under the models directory.
pub const FONT_DIR: &str = "fonts";
const PRIMARY: &str = "DejaVuSans.ttf";
const FALLBACK: &str = "NotoSansSC-Regular.otf";

/// The caption fonts.
#[derive(Clone)]
pub struct Fonts {
    primary: FontArc,
    fallback: Option<FontArc>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("fallback", &self.fallback.is_some()).finish()
    }
}

fn load(path: &Path) -> Result<FontArc, VideoError> {
    let bytes = std::fs::read(path).map_err(|e| VideoError::Font {
        reason: "could not read a font file",
        kind: Some(e.kind()),
    })?;
    FontArc::try_from_vec(bytes)
        .map_err(|_| VideoError::Font { reason: "a font file is not a font", kind: None })
}

impl Fonts {
    /// Loads the fonts from `models_dir/fonts` (fetched by `models/fetch.sh fonts`). The CJK
    /// fallback is optional: without it those characters are left out.
    pub fn load(models_dir: &Path) -> Result<Fonts, VideoError> {
        let dir = models_dir.join(FONT_DIR);
        let primary = load(&dir.join(PRIMARY))?;
        let fallback_path = dir.join(FALLBACK);
        let fallback = if fallback_path.exists() { Some(load(&fallback_path)?) } else { None };
        Ok(Fonts { primary, fallback })
    }

    /// Fonts from bytes (tests, or shells that bundle them).
    pub fn from_bytes(primary: Vec<u8>, fallback: Option<Vec<u8>>) -> Result<Fonts, VideoError> {
        let bad = |_| VideoError::Font { reason: "a font file is not a font", kind: None };
        Ok(Fonts {
            primary: FontArc::try_from_vec(primary).map_err(bad)?,
            fallback: fallback.map(FontArc::try_from_vec).transpose().map_err(bad)?,
        })
    }

    /// The font that draws `c` and its glyph, or `None` when neither has it.
    fn glyph_for(&self, c: char) -> Option<(&FontArc, GlyphId)> {
        let id = self.primary.glyph_id(c);
        if id.0 != 0 {
            return Some((&self.primary, id));
        }
        let fallback = self.fallback.as_ref()?;
        let id = fallback.glyph_id(c);
        (id.0 != 0).then_some((fallback, id))
    }

    /// Whether any loaded font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        c.is_whitespace() || self.glyph_for(c).is_some()
    }
}

/// Scripts written without spaces: a line may break between any two of their characters.
fn breaks_anywhere(c: char) -> bool {
    matches!(u32::from(c),
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// One laid-out glyph: which font, which glyph, where (pen position of the baseline).
struct Placed {
    font: usize,
    glyph: Glyph,
}

/// Text rendered once into a coverage mask, then composited on every frame it shows in.
pub struct TextBlock {
    /// Top-left of the band on the frame.
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    /// Glyph coverage, 0..1, `width * height`.
    coverage: Vec<f32>,
    /// Opacity of the dark band behind the text.
    band: f32,
}

impl std::fmt::Debug for TextBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextBlock")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

/// Where on the frame a block of text sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A caption: bottom, above a margin.
    Bottom,
    /// A title: centred.
    Centre,
}

impl Fonts {
    fn font(&self, which: usize) -> &FontArc {
        if which == 0 {
            &self.primary
        } else {
            self.fallback.as_ref().unwrap_or(&self.primary)
        }
    }

    /// Lays `text` out in lines no wider than `max_width` at `px` pixels per em: each line's
    /// glyphs (positioned from x = 0 on the baseline) and its width.
    fn layout(&self, text: &str, px: f32, max_width: f32) -> Vec<(Vec<Placed>, f32)> {
        let scale = PxScale::from(px);
        // Units a line may not break inside: a word, a space, or one CJK character.
        let mut units: Vec<Vec<(usize, GlyphId)>> = Vec::new();
        let mut word: Vec<(usize, GlyphId)> = Vec::new();
        for c in text.chars() {
            let c = if c.is_whitespace() { ' ' } else { c };
            let Some((font, id)) = self.glyph_for(c) else { continue };
            let which = usize::from(!std::ptr::eq(font, &self.primary));
            if c == ' ' || breaks_anywhere(c) {
                if !word.is_empty() {
                    units.push(std::mem::take(&mut word));
                }
                units.push(vec![(which, id)]);
            } else {
                word.push((which, id));
            }
        }
        if !word.is_empty() {
            units.push(word);
        }
        let space = self.primary.glyph_id(' ');
        let is_space = |u: &[(usize, GlyphId)]| u.len() == 1 && u[0] == (0, space);
        let advance = |glyphs: &[(usize, GlyphId)]| -> f32 {
            let mut w = 0.0;
            for (i, &(f, id)) in glyphs.iter().enumerate() {
                let scaled = self.font(f).as_scaled(scale);
                if i > 0 && glyphs[i - 1].0 == f {
                    w += scaled.kern(glyphs[i - 1].1, id);
                }
                w += scaled.h_advance(id);
            }
            w
        };
        // Greedy filling; a unit wider than a whole line is split between characters.
        let mut lines: Vec<Vec<(usize, GlyphId)>> = vec![Vec::new()];
        for unit in units {
            let line = lines.last_mut().expect("one line at least");
            if line.is_empty() && is_space(&unit) {
                continue;
            }
            let mut trial = line.clone();
            trial.extend_from_slice(&unit);
            if advance(&trial) <= max_width || line.is_empty() && advance(&unit) <= max_width {
                *line = trial;
            } else if is_space(&unit) {
                lines.push(Vec::new());
            } else if advance(&unit) <= max_width {
                lines.push(unit);
            } else {
                for g in unit {
                    let line = lines.last_mut().expect("one line at least");
                    line.push(g);
                    if advance(line) > max_width && line.len() > 1 {
                        line.pop();
                        lines.push(vec![g]);
                    }
                }
            }
        }
        lines
            .into_iter()
            .map(|mut glyphs| {
                while glyphs.last().is_some_and(|g| *g == (0, space)) {
                    glyphs.pop();
                }
                glyphs
            })
            .filter(|g| !g.is_empty())
            .map(|glyphs| {
                let mut placed = Vec::with_capacity(glyphs.len());
                let mut pen = 0.0;
                for (i, &(f, id)) in glyphs.iter().enumerate() {
                    let scaled = self.font(f).as_scaled(scale);
                    if i > 0 && glyphs[i - 1].0 == f {
                        pen += scaled.kern(glyphs[i - 1].1, id);
                    }
                    placed.push(Placed {
                        font: f,
                        glyph: id.with_scale_and_position(scale, ab_glyph::point(pen, 0.0)),
                    });
                    pen += scaled.h_advance(id);
                }
                (placed, pen)
            })
            .collect()
    }

    /// Renders `text` to fit a `frame_w` x `frame_h` frame: at most three lines, shrinking the
    /// type (down to 70 %) before giving up and cutting the rest off.
    pub fn block(
        &self,
        text: &str,
        frame_w: u32,
        frame_h: u32,
        place: Placement,
    ) -> Option<TextBlock> {
        let base = match place {
            Placement::Bottom => frame_h as f32 / 17.0,
            Placement::Centre => frame_h as f32 / 11.0,
        };
        let max_width = frame_w as f32 * 0.84;
        let mut px = base;
        let mut lines = self.layout(text, px, max_width);
        while lines.len() > 3 && px > base * 0.7 {
            px *= 0.9;
            lines = self.layout(text, px, max_width);
        }
        lines.truncate(3);
        if lines.is_empty() {
            return None;
        }
        let line_h = (px * 1.3).ceil();
        let pad = (px * 0.45).ceil();
        let widest = lines.iter().map(|(_, w)| *w).fold(0.0, f32::max);
        let width = (widest + 2.0 * pad).ceil().min(frame_w as f32) as u32;
        let height = (line_h * lines.len() as f32 + 2.0 * pad).ceil().min(frame_h as f32) as u32;
        let mut coverage = vec![0f32; (width * height) as usize];
        for (row, (glyphs, line_w)) in lines.iter().enumerate() {
            let left = (width as f32 - line_w) / 2.0;
            let ascent = self.primary.as_scaled(PxScale::from(px)).ascent();
            let baseline = pad + row as f32 * line_h + (line_h - px) / 2.0 + ascent * 0.9;
            for p in glyphs {
                let mut g = p.glyph.clone();
                g.position = ab_glyph::point(left + g.position.x, baseline);
                let Some(outline) = self.font(p.font).outline_glyph(g) else { continue };
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, c| {
                    let x = bounds.min.x as i32 + gx as i32;
                    let y = bounds.min.y as i32 + gy as i32;
                    if x >= 0 && y >= 0 && (x as u32) < width && (y as u32) < height {
                        let i = (y as u32 * width + x as u32) as usize;
                        coverage[i] = (coverage[i] + c).min(1.0);
                    }
                });
            }
        }
        let x = (frame_w as i32 - width as i32) / 2;
        let y = match place {
            Placement::Bottom => frame_h as i32 - height as i32 - (frame_h as f32 * 0.06) as i32,
            Placement::Centre => (frame_h as i32 - height as i32) / 2,
        };
        let band = match place {
            Placement::Bottom => 0.55,
            Placement::Centre => 0.0,
        };
        Some(TextBlock { x, y, width, height, coverage, band })
    }
}

impl TextBlock {
    /// Draws the block on `frame` at `opacity` (0..1, for fading in and out).
    pub fn draw(&self, frame: &mut RgbImage, opacity: f32) {
        let (fw, fh) = (frame.width() as i32, frame.height() as i32);
        for by in 0..self.height as i32 {
            let y = self.y + by;
            if y < 0 || y >= fh {
                continue;
            }
            for bx in 0..self.width as i32 {
                let x = self.x + bx;
                if x < 0 || x >= fw {
                    continue;
                }
                let c = self.coverage[(by as u32 * self.width + bx as u32) as usize];
                let px = frame.get_pixel_mut(x as u32, y as u32);
                for ch in 0..3 {
                    let mut v = f32::from(px[ch]);
                    v *= 1.0 - self.band * opacity;
                    v += (255.0 - v) * c * opacity;
                    px[ch] = v.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }

    /// The block's rectangle on the frame: x, y, width, height.
    pub fn rect(&self) -> (i32, i32, u32, u32) {
        (self.x, self.y, self.width, self.height)
    }
}
