package identity

import "context"

type principalKey struct{}

// NewContext returns ctx carrying p as the acting principal.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the acting principal of ctx (Anonymous when none).
func FromContext(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}
