package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"dataport/internal/identity"

	"github.com/spf13/cobra"
)

func tokenCommand(o *options) *cobra.Command {
	token := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var user, name string
	var ttl time.Duration
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token for a user and print it (works offline, against the store)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.Identity.UserByName(cmd.Context(), user)
			if err != nil {
				return err
			}
			secret, _, err := a.Identity.CreateToken(cmd.Context(), identity.System, u.ID, name, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	create.Flags().StringVar(&user, "user", "", "username the token acts as (required)")
	create.Flags().StringVar(&name, "name", "cli", "a name to recognise the token by")
	create.Flags().DurationVar(&ttl, "expires", 90*24*time.Hour, "lifetime of the token (at most 8784h)")
	create.MarkFlagRequired("user")
	token.AddCommand(create)
	return token
}

func userCommand(o *options) *cobra.Command {
	user := &cobra.Command{Use: "user", Short: "Manage users"}
	var in identity.UserInput
	var roles, members []string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a user; the password comes from DATAPORT_PASSWORD or the first line of standard input",
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if in.Password, err = readPassword(); err != nil {
				return err
			}
			for _, r := range roles {
				in.PlatformRoles = append(in.PlatformRoles, identity.PlatformRole(r))
			}
			for _, m := range members {
				org, role, ok := strings.Cut(m, ":")
				if !ok {
					return fmt.Errorf("--member %q: want ORGANIZATION_ID:ROLE", m)
				}
				in.Memberships = append(in.Memberships, identity.Membership{OrganizationID: org, Role: identity.Role(role)})
			}
			u, err := a.Identity.CreateUser(cmd.Context(), identity.System, in)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), u.ID)
			return nil
		},
	}
	f := add.Flags()
	f.StringVar(&in.Username, "username", "", "login name (required)")
	f.StringVar(&in.DisplayName, "display-name", "", "name shown in the UI (required)")
	f.StringVar(&in.Email, "email", "", "email address")
	f.StringSliceVar(&roles, "role", nil, "platform role: sysadmin, operator, regulator, auditor (repeatable)")
	f.StringSliceVar(&members, "member", nil, "membership as ORGANIZATION_ID:ROLE with ROLE member, editor or admin (repeatable)")
	add.MarkFlagRequired("username")
	user.AddCommand(add)
	return user
}

func readPassword() (string, error) {
	if p := os.Getenv("DATAPORT_PASSWORD"); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no password: set DATAPORT_PASSWORD or pipe it on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
