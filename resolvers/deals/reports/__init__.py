"""Sales reports (funnel, forecast, win/loss, velocity), each one aggregate query in SQL."""
