//! The window icon, drawn in code: a WebAssembly-violet tile with a white magnifying glass
//! (a scope), anti-aliased by distance, so no image file or decoder is needed.

use eframe::egui;

/// The icon's width and height in pixels.
pub const ICON_SIZE: u32 = 64;

const VIOLET: [f32; 3] = [101.0, 79.0, 240.0];
const WHITE: [f32; 3] = [255.0, 255.0, 255.0];

/// How much of the pixel at (`x`, `y`) a shape with signed distance `d` covers (0 to 1).
fn coverage(distance: f32) -> f32 {
    (0.5 - distance).clamp(0.0, 1.0)
}

/// Signed distance from `p` to a rounded square filling the icon.
fn tile_distance(p: [f32; 2], size: f32, radius: f32) -> f32 {
    let half = size / 2.0;
    let q = [
        (p[0] - half).abs() - (half - radius),
        (p[1] - half).abs() - (half - radius),
    ];
    let outside = (q[0].max(0.0).powi(2) + q[1].max(0.0).powi(2)).sqrt();
    outside + q[0].max(q[1]).min(0.0) - radius
}

/// Signed distance from `p` to a thick segment from `a` to `b`.
fn segment_distance(p: [f32; 2], a: [f32; 2], b: [f32; 2], half_width: f32) -> f32 {
    let ab = [b[0] - a[0], b[1] - a[1]];
    let ap = [p[0] - a[0], p[1] - a[1]];
    let t = ((ap[0] * ab[0] + ap[1] * ab[1]) / (ab[0] * ab[0] + ab[1] * ab[1])).clamp(0.0, 1.0);
    let closest = [a[0] + ab[0] * t, a[1] + ab[1] * t];
    ((p[0] - closest[0]).powi(2) + (p[1] - closest[1]).powi(2)).sqrt() - half_width
}

/// The icon as RGBA pixels.
pub fn icon() -> egui::IconData {
    let size = ICON_SIZE as f32;
    let mut rgba = Vec::with_capacity((ICON_SIZE * ICON_SIZE * 4) as usize);
    for y in 0..ICON_SIZE {
        for x in 0..ICON_SIZE {
            let p = [x as f32 + 0.5, y as f32 + 0.5];
            let tile = coverage(tile_distance(p, size, 12.0));
            let center = [size * 0.42, size * 0.42];
            let ring_radius = size * 0.22;
            let from_center = ((p[0] - center[0]).powi(2) + (p[1] - center[1]).powi(2)).sqrt();
            let ring = coverage((from_center - ring_radius).abs() - size * 0.045);
            let handle = coverage(segment_distance(
                p,
                [size * 0.58, size * 0.58],
                [size * 0.80, size * 0.80],
                size * 0.06,
            ));
            let glass = ring.max(handle);
            for channel in 0..3 {
                let value = VIOLET[channel] * (1.0 - glass) + WHITE[channel] * glass;
                rgba.push(value.round() as u8);
            }
            rgba.push((tile * 255.0).round() as u8);
        }
    }
    egui::IconData {
        rgba,
        width: ICON_SIZE,
        height: ICON_SIZE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(icon: &egui::IconData, x: u32, y: u32) -> &[u8] {
        let at = ((y * icon.width + x) * 4) as usize;
        &icon.rgba[at..at + 4]
    }

    #[test]
    fn the_icon_is_a_violet_tile_with_a_white_glass() {
        let icon = icon();
        assert_eq!(icon.rgba.len(), (ICON_SIZE * ICON_SIZE * 4) as usize);
        // Transparent outside the rounded corner, opaque violet inside the lens.
        assert_eq!(pixel(&icon, 0, 0)[3], 0);
        assert_eq!(pixel(&icon, 27, 27), &[101, 79, 240, 255]);
        // The ring (radius about 14 px around (27, 27)) is white.
        assert_eq!(&pixel(&icon, 27, 13)[..3], &[255, 255, 255]);
        // The handle, towards the bottom right.
        assert_eq!(&pixel(&icon, 44, 44)[..3], &[255, 255, 255]);
    }
}
