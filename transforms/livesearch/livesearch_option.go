package livesearch

import "time"

// DefaultWindow is the size of live_search_1h's windows when
// livewindow.Options.Window is zero.
const DefaultWindow = time.Hour
