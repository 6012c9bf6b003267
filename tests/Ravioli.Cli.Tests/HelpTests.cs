using Ravioli.Cli.Tests.Support;

namespace Ravioli.Cli.Tests;

public sealed class HelpTests
{
    public static TheoryData<string> Commands { get; } =
    [
        "api", "login", "logout", "target",
        "orgs", "org", "create-org", "delete-org",
        "spaces", "create-space", "delete-space",
        "create-user", "delete-user",
        "set-org-role", "unset-org-role", "set-space-role", "unset-space-role", "org-users", "space-users",
        "quotas", "create-quota", "update-quota", "set-quota",
        "apps", "app", "push", "start", "stop", "restart", "restage", "delete", "scale",
        "env", "set-env", "unset-env", "logs", "events",
        "droplets", "set-droplet", "run-task", "tasks",
        "routes", "create-route", "delete-route", "map-route", "unmap-route",
        "domains", "create-domain", "create-shared-domain",
        "buildpacks", "create-buildpack",
        "marketplace", "services", "service", "create-service", "update-service", "rename-service", "delete-service",
        "create-user-provided-service", "update-user-provided-service",
        "bind-service", "unbind-service", "create-service-key", "service-keys", "service-key", "delete-service-key",
        "service-brokers", "create-service-broker", "update-service-broker", "rename-service-broker", "delete-service-broker",
        "service-access", "enable-service-access", "disable-service-access",
        "curl", "version",
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_ForEveryCommand_ExitsZeroAndShowsItsUsage(string command)
    {
        using var rav = new Rav();

        var result = await rav.RunAsync(command, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"rav {command}", result.Out);
        Assert.Contains("--json", result.Out);
        Assert.False(File.Exists(rav.ConfigPath));
    }

    [Fact]
    public async Task Help_ForRav_ListsEveryCommand()
    {
        using var rav = new Rav();

        var result = await rav.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var command in Commands)
        {
            // Commands with cf's short aliases are listed as "cs, create-service".
            Assert.Matches($@"(?m)^\s+([a-z]+, )?{command}\b", result.Out);
        }
    }

    [Theory]
    [InlineData("m", "marketplace")]
    [InlineData("s", "services")]
    [InlineData("cs", "create-service")]
    [InlineData("ds", "delete-service")]
    [InlineData("cups", "create-user-provided-service")]
    [InlineData("uups", "update-user-provided-service")]
    [InlineData("bs", "bind-service")]
    [InlineData("us", "unbind-service")]
    [InlineData("csk", "create-service-key")]
    [InlineData("sk", "service-keys")]
    [InlineData("dsk", "delete-service-key")]
    [InlineData("csb", "create-service-broker")]
    public async Task Help_ForCfsShortAliases_ShowsTheCommand(string alias, string command)
    {
        using var rav = new Rav();

        var result = await rav.RunAsync(alias, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"rav {command}", result.Out);
    }

    [Fact]
    public async Task UnknownCommand_ExitsOne()
    {
        using var rav = new Rav();

        var result = await rav.RunAsync("push-everything");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("push-everything", result.Err);
    }

    [Fact]
    public async Task MissingArgument_ExitsOneNamingIt()
    {
        using var rav = new Rav();

        var result = await rav.RunAsync("create-org");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("create-org", result.Err);
    }

    [Fact]
    public async Task Version_WithoutAnApi_PrintsOnlyTheCliVersion()
    {
        using var rav = new Rav();

        var result = await rav.OkAsync("version");

        Assert.Matches(@"^rav version \d+\.\d+", result.Out);
        Assert.DoesNotContain("API", result.Out);
    }
}
