// Command go-terminal-session runs a Pulumi program that opens an ECS Session Manager session,
// in-process through the Automation API (an inline program: no Pulumi.yaml, no Go language
// host), with the resource served by the pulumi-resource-sessions plugin.
//
//	go-terminal-session -stack dev -instance i-abc -region cn-hangzhou [-local-cloud URL] [-port 22] up
//
// Commands: preview, up, refresh, destroy. The AccessKey comes from ALIBABA_CLOUD_ACCESS_KEY_ID
// and ALIBABA_CLOUD_ACCESS_KEY_SECRET and is stored as provider config (`sessions:alicloudAccessKey`,
// `sessions:alicloudSecretKey`), which the plugin's schema keeps secret in state.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/pulumi-sessions/pulumi-sessions/sdks/go/sessions/alicloud"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

const project = "go-terminal-session"

// program is the inline Pulumi program: one session on the configured instance and port.
func program(ctx *pulumi.Context) error {
	cfg := config.New(ctx, project)
	port := cfg.GetInt("port")
	if port == 0 {
		port = 22
	}
	session, err := alicloud.NewTerminalSession(ctx, "session", &alicloud.TerminalSessionArgs{
		InstanceIds: pulumi.StringArray{pulumi.String(cfg.Require("instanceId"))},
		PortNumber:  pulumi.IntPtr(port),
	})
	if err != nil {
		return err
	}
	ctx.Export("sessionId", session.SessionId)
	ctx.Export("webSocketUrl", session.WebSocketUrl)
	return nil
}

func main() {
	stackName := flag.String("stack", "dev", "stack name")
	instance := flag.String("instance", "", "ECS instance id")
	region := flag.String("region", "", "Alibaba Cloud region (sessions:alicloudRegion)")
	localCloud := flag.String("local-cloud", "", "local cloud URL (sessions:localCloud)")
	port := flag.Int("port", 22, "port on the instance to forward to")
	flag.Parse()
	if flag.NArg() != 1 || *instance == "" {
		fmt.Fprintln(os.Stderr, "usage: go-terminal-session -instance ID [-region R] [-local-cloud URL] [-port N] preview|up|refresh|destroy")
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *stackName, *instance, *region, *localCloud, *port); err != nil {
		fmt.Fprintf(os.Stderr, "go-terminal-session: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, command, stackName, instance, region, localCloud string, port int) error {
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, project, program)
	if err != nil {
		return err
	}
	cfg := auto.ConfigMap{
		project + ":instanceId": {Value: instance},
		project + ":port":       {Value: strconv.Itoa(port)},
		// Plain on purpose: the plugin's schema marks the keys secret, so state holds them encrypted.
		"sessions:alicloudAccessKey": {Value: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")},
		"sessions:alicloudSecretKey": {Value: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")},
	}
	if region != "" {
		cfg["sessions:alicloudRegion"] = auto.ConfigValue{Value: region}
	}
	if localCloud != "" {
		cfg["sessions:localCloud"] = auto.ConfigValue{Value: localCloud}
	}
	if err := stack.SetAllConfig(ctx, cfg); err != nil {
		return err
	}
	switch command {
	case "preview":
		_, err = stack.Preview(ctx, optpreview.ProgressStreams(os.Stdout))
	case "up":
		var res auto.UpResult
		res, err = stack.Up(ctx, optup.ProgressStreams(os.Stdout))
		if err == nil {
			fmt.Printf("sessionId: %v\n", res.Outputs["sessionId"].Value)
		}
	case "refresh":
		_, err = stack.Refresh(ctx, optrefresh.ProgressStreams(os.Stdout))
	case "destroy":
		_, err = stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout))
	default:
		return fmt.Errorf("unknown command %q (preview, up, refresh, destroy)", command)
	}
	return err
}
