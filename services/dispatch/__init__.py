"""Dispatch: decides who must act on a case and keeps the record of what each unit did."""
