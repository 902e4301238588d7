// Command gongkai is the community audit ledger: `gongkai serve` runs it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gongkai:", err)
		os.Exit(1)
	}
}

const usage = `gongkai (公开): the community audit ledger

Usage:
  gongkai serve [flags]          run the ledger, the API and the public board
  gongkai account create --admin --login NAME --name 名字
                                 the first administrator's account (password on stdin)
  gongkai account list|create|grant|revoke|password|disable|enable [flags]
                                 people's accounts and roles
  gongkai token create|list|revoke [flags]
                                 API tokens for scripts, one community each
  gongkai import --community ID [--kind K] [--dry-run] FILE
                                 record an Excel/WPS (.xlsx) or CSV 台账 in one batch
  gongkai import template --kind K --out FILE.xlsx
                                 write the template of vouchers, budget, funds or matters
  gongkai audit --community ID --year Y [--as-of T] [--diff-as-of T2] [--json]
                                 a year as recorded at T (--data DIR or --nats URL):
                                 matters, budget, journal, statements, late entries
  gongkai export --community ID --year Y --out FILE.zip
                                 download a year's audit package (auditor's token)
  gongkai projections rebuild NAME [flags]
                                 rebuild a PostgreSQL read model (board, finance)
                                 into a fresh schema without downtime
  gongkai keygen [flags]         write a checkpoint signer key, print its verifier key
  gongkai keygen --admin-token   print a new random administrator token
  gongkai verify --data DIR | --nats URL --key PUBKEY
                                 rebuild the tree from the raw stream, check every checkpoint
  gongkai verify proof BUNDLE --key PUBKEY [--witness KEY,...]
                                 check an offline proof bundle
  gongkai verify consistency OLD NEW --server URL --key PUBKEY
                                 check that a newer checkpoint extends an older one
  gongkai verify segment FILE --key PUBKEY [--witness KEY,...] [--community ID]
                                 check a year-end segment: the log between two
                                 checkpoints, complete and unaltered
  gongkai verify package FILE.zip --key PUBKEY
                                 check an audit package offline and recompute
                                 the year's turnover from its events alone
  gongkai witness [flags]        cosign another party's log (the town's witness)
  gongkai writer keygen --out FILE
                                 make a writer key for another instance; print
                                 its public key to register (POST /api/v1/writers)
  gongkai bench [--clients N] [--duration T] [--mix M]
                                 drive a running server with N clients (matter
                                 stages, vouchers, board and page reads) beside
                                 its JetStream baselines; prints a Markdown table
  gongkai help                   show this text

Run "gongkai COMMAND -h" for a command's flags. Every flag also reads a
GONGKAI_* environment variable, named in its help.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[1] {
	case "serve":
		return runServe(ctx, args[2:], getenv, stderr)
	case "token":
		return runToken(ctx, args[2:], getenv, stdout, stderr)
	case "account":
		return runAccount(ctx, args[2:], getenv, os.Stdin, stdout, stderr)
	case "projections":
		return runProjections(ctx, args[2:], getenv, stdout, stderr)
	case "keygen":
		return runKeygen(args[2:], getenv, stdout, stderr)
	case "verify":
		return runVerify(ctx, args[2:], getenv, stdout, stderr)
	case "witness":
		return runWitness(ctx, args[2:], getenv, stderr)
	case "writer":
		return runWriter(args[2:], getenv, stdout, stderr)
	case "import":
		return runImport(ctx, args[2:], getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, args[2:], getenv, stdout, stderr)
	case "export":
		return runExport(ctx, args[2:], getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, args[2:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[1])
}
