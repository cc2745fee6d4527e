//! Naming a GPS position: the nearest city of the gazetteer (GeoNames cities of 5,000+ people),
//! from a grid of 1-degree cells so a lookup reads a few hundred rows, not 49,000.

use std::collections::HashMap;

/// A city with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoPlace {
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub lat: f64,
    pub lon: f64,
    pub population: u32,
}

/// The nearest city to a point, and how far it is.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestPlace {
    pub place: GeoPlace,
    pub km: f64,
}

/// Farther than this from every city, a position names no place (open sea, wilderness).
pub const MAX_PLACE_KM: f64 = 30.0;

/// How far a city's name reaches: about 0.01 km per square root of its people, at least 2 km
/// (Paris, 2.1 million: 14.6 km; a town of 60,000: 2.4 km). A gazetteer holds points, not
/// outlines; without this, a photo at the Eiffel Tower would be named after Neuilly-sur-Seine,
/// whose point is nearer than the point of Paris.
fn reach_km(population: u32) -> f64 {
    (f64::from(population).sqrt() * 0.01).max(2.0)
}

#[derive(Debug, Default)]
pub(crate) struct GeoIndex {
    places: Vec<GeoPlace>,
    cells: HashMap<(i32, i32), Vec<u32>>,
}

fn cell(lat: f64, lon: f64) -> (i32, i32) {
    (lat.floor() as i32, lon.floor() as i32)
}

/// Great-circle distance in kilometres.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) =
        (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371.0 * h.sqrt().min(1.0).asin()
}

impl GeoIndex {
    /// Parses `places_geo.tsv` rows (`name, CC, lat, lon, population`); `None` names the bad
    /// line.
    pub fn parse(text: &str) -> Result<Self, usize> {
        let mut index = GeoIndex::default();
        for (n, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split('\t').collect();
            let [name, country, lat, lon, population] = f[..] else { return Err(n + 1) };
            let (Ok(lat), Ok(lon), Ok(population)) =
                (lat.parse::<f64>(), lon.parse::<f64>(), population.parse::<u32>())
            else {
                return Err(n + 1);
            };
            if !(lat.abs() <= 90.0 && lon.abs() <= 180.0) {
                return Err(n + 1);
            }
            let id = index.places.len() as u32;
            index.places.push(GeoPlace {
                name: name.to_owned(),
                country: country.to_owned(),
                lat,
                lon,
                population,
            });
            index.cells.entry(cell(lat, lon)).or_default().push(id);
        }
        Ok(index)
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The city that best names (`lat`, `lon`): the one whose reach (see `reach_km`) covers it
    /// most, i.e. the lowest distance relative to reach, among cities within [`MAX_PLACE_KM`].
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<NearestPlace> {
        if !(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
            return None;
        }
        let (cy, cx) = cell(lat, lon);
        // 30 km is under a third of a degree of latitude; longitude degrees shrink toward the
        // poles, so widen the search there.
        let reach = (1.0 / lat.to_radians().cos().max(0.05)).ceil().min(20.0) as i32;
        let mut best: Option<(f64, u32)> = None;
        for dy in -1..=1 {
            for dx in -reach..=reach {
                let x = (cx + dx + 180).rem_euclid(360) - 180;
                let Some(ids) = self.cells.get(&(cy + dy, x)) else { continue };
                for &id in ids {
                    let p = &self.places[id as usize];
                    let km = haversine_km((lat, lon), (p.lat, p.lon));
                    if km > MAX_PLACE_KM {
                        continue;
                    }
                    let score = km / reach_km(p.population);
                    if best.is_none_or(|(b, _)| score < b) {
                        best = Some((score, id));
                    }
                }
            }
        }
        let (_, id) = best?;
        let place = self.places[id as usize].clone();
        let km = haversine_km((lat, lon), (place.lat, place.lon));
        Some(NearestPlace { place, km })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: &str = "Paris\tFR\t48.8534\t2.3488\t2138551\n\
                        Neuilly-sur-Seine\tFR\t48.8846\t2.2697\t60501\n\
                        Versailles\tFR\t48.8014\t2.1301\t85416\n\
                        Suva\tFJ\t-18.1416\t178.4415\t77366\n\
                        Lami\tFJ\t-18.1167\t178.4167\t10000\n\
                        Taveuni\tFJ\t-16.8500\t-179.9700\t9000\n";

    #[test]
    fn the_nearest_city_within_reach_names_a_position() {
        let index = GeoIndex::parse(ROWS).expect("parse");
        let eiffel = index.nearest(48.8582, 2.2945).expect("near Paris");
        assert_eq!(eiffel.place.name, "Paris");
        assert!(eiffel.km > 3.0 && eiffel.km < 5.0, "{}", eiffel.km);
        assert_eq!(index.nearest(48.80, 2.12).expect("palace").place.name, "Versailles");
        // Neuilly's point is nearer the Eiffel Tower than Paris's, but the tower is in Paris;
        // central Neuilly is still Neuilly.
        assert_eq!(
            index.nearest(48.8846, 2.2690).expect("neuilly").place.name,
            "Neuilly-sur-Seine"
        );
        // Across the antimeridian: a point at 179.99 E is next to a town at 179.97 W.
        assert_eq!(index.nearest(-16.85, 179.99).expect("wraps").place.name, "Taveuni");
        // Mid-Atlantic: no place.
        assert!(index.nearest(40.0, -40.0).is_none());
        assert!(index.nearest(f64::NAN, 2.0).is_none());
        assert!(index.nearest(91.0, 2.0).is_none());
        assert_eq!(GeoIndex::parse("Paris\tFR\tnorth\t2.3\t1\n").map(|_| ()), Err(1));
    }
}
