"""Attribution maps of trained models and their scores (the attribution work; see ``methods``)."""
