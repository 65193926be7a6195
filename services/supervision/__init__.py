"""Supervision: time and judgement; deadlines on the working calendar, and the linkage centre's view of them."""
