package identity_test

import (
	"strings"
	"testing"

	"dataport/internal/identity"
)

func TestPasswordHashVerify(t *testing.T) {
	const password = "correct horse battery 密码"
	hash, err := identity.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, password) {
		t.Fatalf("hash = %q, want an argon2id PHC string without the password", hash)
	}
	again, err := identity.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if again == hash {
		t.Errorf("two hashes of one password are equal (%q): the salt is not random", hash)
	}
	tests := []struct {
		name     string
		hash     string
		password string
		want     bool
	}{
		{"right password", hash, password, true},
		{"right password, second hash", again, password, true},
		{"wrong password", hash, "correct horse battery 密吗", false},
		{"empty password", hash, "", false},
		{"password with trailing space", hash, password + " ", false},
		{"upper-cased password", hash, strings.ToUpper(password), false},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, err := identity.VerifyPassword(test.hash, test.password)
			if err != nil {
				t.Fatal(err)
			}
			if got != test.want {
				t.Errorf("VerifyPassword = %v, want %v", got, test.want)
			}
		})
	}
}

func TestVerifyPasswordRefusesMalformedHashes(t *testing.T) {
	tests := []struct{ name, hash string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"bad parameters", "$argon2id$v=19$m=x,t=2,p=1$c2FsdA$a2V5"},
		{"bad salt", "$argon2id$v=19$m=19456,t=2,p=1$!!!$a2V5"},
		{"bad key", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$!!!"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			ok, err := identity.VerifyPassword(test.hash, "whatever password")
			if err == nil || ok {
				t.Errorf("VerifyPassword(%q) = %v, %v; want false and an error", test.hash, ok, err)
			}
		})
	}
}
