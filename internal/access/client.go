package access

import "context"

// Client is how a request reached the platform: its address and, for a
// machine client, the per-grant API key it presented. The web layer puts it
// into every request's context; Decide reads it when Request leaves
// ClientIP or ClientKey empty, so data paths need not pass it themselves.
type Client struct {
	IP  string
	Key string // the secret of a per-grant API key ("dpk_…"), never logged
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client of ctx (zero when none was set).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// KeyHeader is the header a machine client sends its per-grant API key in.
const KeyHeader = "X-Dataport-Key"

// KeyPrefix starts every per-grant API key's secret.
const KeyPrefix = "dpk_"
