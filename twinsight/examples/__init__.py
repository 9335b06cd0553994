"""Example services bundled with twinsight: the test bed for every stage and for `demo`.

Stand-alone programs: they import nothing from twinsight's pipeline.
"""
