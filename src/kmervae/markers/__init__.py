"""Single-copy marker genes: gene calling, HMM search, and bin completeness/contamination."""
