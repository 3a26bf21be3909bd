package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/names"
)

// token mints a room access token with a key of the configuration:
//
//	gorento token -config gorento.json -identity alice -room lobby
//	gorento token -config gorento.json -admin -room '*' -ttl 720h
func token(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	configFile := fs.String("config", "", "JSON configuration file with auth.keys (or GORENTO_AUTH_KEYS)")
	identity := fs.String("identity", "", "user name the token is for (the name used in joinRoom)")
	roomName := fs.String("room", "", `room the token is for, or "*" for every room`)
	grants := fs.String("grants", "join,publish,subscribe,sendMessage", "comma-separated grants: join, publish, subscribe, sendMessage, roomAdmin")
	admin := fs.Bool("admin", false, "an admin token (grant roomAdmin only) for the room API; -identity optional")
	ttl := fs.Duration("ttl", 0, "lifetime (default auth.tokenTTL, 6h)")
	key := fs.String("key", "", "key of auth.keys to sign with (default: the first by name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := config.Default()
	if *configFile != "" {
		if err := cfg.LoadFile(*configFile); err != nil {
			return err
		}
	}
	if err := cfg.ApplyEnv(os.LookupEnv); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	if len(cfg.Auth.Keys) == 0 {
		return errors.New("no auth.keys configured: the server is in development mode, where tokens come from its own ephemeral key (POST /room/api/tokens)")
	}
	keys, err := auth.NewKeys(cfg.Auth.Keys)
	if err != nil {
		return err
	}
	req := auth.TokenRequest{Identity: *identity, Room: *roomName, TTL: cfg.Auth.TokenTTL.Duration}
	if *ttl > 0 {
		req.TTL = *ttl
	}
	if *admin {
		req.Grants = auth.Grants{RoomAdmin: true}
		if req.Room == "" {
			req.Room = auth.AnyRoom
		}
	} else if req.Grants, err = parseGrants(*grants); err != nil {
		return err
	}
	if req.Identity != "" || !req.Grants.RoomAdmin {
		if err := names.UserRules.Check(req.Identity); err != nil {
			return fmt.Errorf("-identity: %w", err)
		}
	}
	if req.Room != auth.AnyRoom {
		if err := names.RoomRules.Check(req.Room); err != nil {
			return fmt.Errorf("-room: %w", err)
		}
	}
	var tok string
	var exp time.Time
	if *key != "" {
		tok, exp, err = keys.MintWith(*key, req)
	} else {
		tok, exp, err = keys.Mint(req)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(out, tok)
	fmt.Fprintf(os.Stderr, "expires %s; pass it as ?access_token= in the WebSocket URL\n", exp.UTC().Format(time.RFC3339))
	return nil
}

func parseGrants(list string) (auth.Grants, error) {
	var g auth.Grants
	for _, name := range strings.Split(list, ",") {
		switch strings.TrimSpace(name) {
		case "join":
			g.Join = true
		case "publish":
			g.Publish = true
		case "subscribe":
			g.Subscribe = true
		case "sendMessage":
			g.SendMessage = true
		case "roomAdmin":
			g.RoomAdmin = true
		case "":
		default:
			return g, fmt.Errorf("unknown grant %q (join, publish, subscribe, sendMessage, roomAdmin)", name)
		}
	}
	return g, nil
}
