using System.Diagnostics;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

/// <summary>Runs the built <c>rav</c> as a child process, to prove the real binary works and not just the in-process entry point.</summary>
public sealed class ProcessTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>, IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("rav-process-test-").FullName;

    [Fact]
    public async Task RealBinary_LogsInWithRavPasswordAndListsOrgsAsJson()
    {
        var login = await RunAsync(["login", "-a", server.BaseUrl, "-u", "admin"], server.AdminPassword);
        var orgs = await RunAsync(["orgs", "--json"]);

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Contains("Authenticated as admin.", login.Out);
        Assert.True(File.Exists(Path.Combine(_home, "config.json")));
        Assert.True(orgs.ExitCode == 0, orgs.ToString());
        Assert.Equal(JsonValueKind.Array, orgs.Json().ValueKind);
    }

    [Fact]
    public async Task RealBinary_Help_ExitsZero()
    {
        var result = await RunAsync(["--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("create-org", result.Out);
    }

    [Fact]
    public async Task RealBinary_UnreachableApi_PrintsCannotReachOnStderrAndExitsOne()
    {
        var deadApi = $"http://127.0.0.1:{Screen.ClosedPort()}";

        var result = await RunAsync(["login", "-a", deadApi, "-u", "admin", "-p", "some-password"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Cannot reach the API at {deadApi}", result.Err);
        Assert.DoesNotContain("Cannot reach", result.Out);
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private async Task<CliResult> RunAsync(string[] args, string? password = null)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rav.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["RAV_HOME"] = _home;
        start.Environment.Remove("RAV_PASSWORD");
        if (password is not null)
        {
            start.Environment["RAV_PASSWORD"] = password;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliResult(process.ExitCode, await output, await error);
    }

    // `dotnet test` says which host runs it; use the same one so the test needs nothing on PATH.
    private static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
