using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Ravioli.Services.Tests.Infrastructure;

/// <summary>
/// The npm packages the tests run against (@sap/sbf for a real broker, cfenv for a real VCAP_SERVICES reader), in
/// tests/Ravioli.Services.Tests/sbf-broker. Installed from package-lock.json on first use when node_modules is missing.
/// </summary>
public static class NodePackages
{
    private static readonly SemaphoreSlim s_installing = new(1, 1);

    public static string Directory { get; } = typeof(NodePackages).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SbfBrokerDirectory").Value!;

    private static bool Installed =>
        File.Exists(Path.Combine(Directory, "node_modules", "@sap", "sbf", "package.json"))
        && File.Exists(Path.Combine(Directory, "node_modules", "cfenv", "package.json"));

    public static async Task EnsureInstalledAsync()
    {
        await s_installing.WaitAsync();
        try
        {
            if (Installed)
            {
                return;
            }
            var command = File.Exists(Path.Combine(Directory, "package-lock.json")) ? "ci" : "install";
            var (exitCode, output) = await RunAsync("npm", [command, "--no-audit", "--no-fund", "--loglevel=error"], null, TimeSpan.FromMinutes(5));
            if (exitCode != 0 || !Installed)
            {
                throw new InvalidOperationException($"npm {command} in {Directory} failed with exit code {exitCode}:\n{output}");
            }
        }
        finally
        {
            s_installing.Release();
        }
    }

    /// <summary>Runs a program in <see cref="Directory"/> and returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeout}");
        }
        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
