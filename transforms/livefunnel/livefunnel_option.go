package livefunnel

import "time"

// DefaultWindow is the size of live_funnel_10m's windows when
// livewindow.Options.Window is zero.
const DefaultWindow = 10 * time.Minute
