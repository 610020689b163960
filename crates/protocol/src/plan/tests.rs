use super::*;
use proptest::prelude::*;

#[test]
fn default_plan_uses_8_mib_parts() {
    let p = PartPlan::new(100 * MIB, None).unwrap();
    assert_eq!(p.part_size(), 8 * MIB);
    assert_eq!(p.part_count(), 13);
    assert_eq!(p.expected_len(13), Some(4 * MIB));
    assert_eq!(p.part(14), None);
    assert_eq!(p.part(0), None);
}

#[test]
fn a_file_of_one_wave_is_cut_into_equal_parts_one_per_slot() {
    let ps = preferred_part_size(50 * MIB, 6);
    assert_eq!(ps, 9 * MIB);
    assert_eq!(PartPlan::new(50 * MIB, Some(ps)).unwrap().part_count(), 6);
    assert_eq!(preferred_part_size(96 * MIB, 6), 16 * MIB);
    assert_eq!(preferred_part_size(48 * MIB, 6), DEFAULT_PART_SIZE);
    assert_eq!(preferred_part_size(48 * MIB + 1, 6), 9 * MIB);
    assert_eq!(preferred_part_size(97 * MIB, 6), DEFAULT_PART_SIZE);
    assert_eq!(preferred_part_size(MAX_OBJECT_SIZE, 0), DEFAULT_PART_SIZE);
    assert_eq!(preferred_part_size(12 * MIB, 0), 12 * MIB);
    assert_eq!(preferred_part_size(5 * MIB, 0), DEFAULT_PART_SIZE);
}

#[test]
fn small_preferred_part_size_is_raised_to_the_s3_minimum() {
    let p = PartPlan::new(20 * MIB, Some(MIB)).unwrap();
    assert_eq!(p.part_size(), MIN_PART_SIZE);
}

#[test]
fn huge_objects_grow_the_part_size() {
    let p = PartPlan::new(MAX_OBJECT_SIZE, None).unwrap();
    assert!(p.part_count() <= MAX_PARTS);
    assert!(PartPlan::new(MAX_OBJECT_SIZE + 1, None).is_err());
}

#[test]
fn empty_object_has_one_empty_part() {
    let p = PartPlan::new(0, None).unwrap();
    assert_eq!(p.part_count(), 1);
    assert!(p.part(1).unwrap().is_empty());
}

#[test]
fn from_parts_refuses_what_s3_refuses() {
    assert_eq!(
        PartPlan::from_parts(10 * MIB, MIB),
        Err(PlanError::BadPartSize(MIB))
    );
    assert!(matches!(
        PartPlan::from_parts(20_000 * 5 * MIB, 5 * MIB),
        Err(PlanError::TooManyParts { .. })
    ));
}

#[test]
fn part_numbers_parse_strictly() {
    assert_eq!("7".parse::<PartNumber>().unwrap().get(), 7);
    for bad in ["", "0", "10001", "-1", "+1", " 1", "1a", "99999999999"] {
        assert!(bad.parse::<PartNumber>().is_err(), "{bad:?}");
    }
}

#[test]
fn check_uploaded_finds_each_violation() {
    let p = PartPlan::new(12 * MIB, Some(5 * MIB)).unwrap();
    assert_eq!(p.part_count(), 3);
    assert!(p.check_uploaded(&[(1, 5 * MIB), (3, 2 * MIB)]).is_ok());
    assert!(matches!(
        p.check_uploaded(&[(4, 1)]),
        Err(PlanViolation::UnknownPart { .. })
    ));
    assert!(matches!(
        p.check_uploaded(&[(1, MIB)]),
        Err(PlanViolation::WrongSize { .. })
    ));
    assert!(matches!(
        p.check_uploaded(&[(1, 5 * MIB), (2, 5 * MIB), (3, 5 * MIB)]),
        Err(PlanViolation::TooLarge { .. })
    ));
}

proptest! {
    #[test]
    fn plans_cover_the_object_exactly(size in 0u64..=MAX_OBJECT_SIZE, pref in proptest::option::of(0u64..=6 * 1024 * MIB)) {
        let p = PartPlan::new(size, pref).unwrap();
        prop_assert!(p.part_count() >= 1 && p.part_count() <= MAX_PARTS);
        prop_assert!((MIN_PART_SIZE..=MAX_PART_SIZE).contains(&p.part_size()));
        let mut next = 0;
        for part in p.parts() {
            prop_assert_eq!(part.start, next);
            prop_assert!(part.len() <= p.part_size());
            if part.number.get() < p.part_count() {
                prop_assert_eq!(part.len(), p.part_size());
            }
            next = part.end;
        }
        prop_assert_eq!(next, size);
        let all: Vec<(u32, u64)> = p.parts().map(|r| (r.number.get(), r.len())).collect();
        prop_assert!(p.check_uploaded(&all).is_ok());
    }

    #[test]
    fn a_valid_preferred_size_is_kept_when_it_fits(size in 0u64..=50_000 * MIB, pref in MIN_PART_SIZE..=64 * MIB) {
        let p = PartPlan::new(size, Some(pref)).unwrap();
        if size.div_ceil(pref) <= u64::from(MAX_PARTS) {
            prop_assert_eq!(p.part_size(), pref);
        }
    }
}
