using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Cli;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests.Support;

/// <summary>The result of one <c>rav</c> run: exit code and everything it printed.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Err)
{
    public JsonElement Json() => JsonSerializer.Deserialize<JsonElement>(Out);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
}

/// <summary>
/// Runs <c>rav</c> in-process against the fixture's server, with its own throwaway config directory,
/// like one user on one machine.
/// </summary>
internal sealed class Rav : IDisposable
{
    private readonly RavioliServerFixture? _server;
    private readonly string _root = Directory.CreateTempSubdirectory("rav-cli-test-").FullName;

    /// <param name="home">Another Rav's config directory, to act as a second rav process of the same user.</param>
    public Rav(RavioliServerFixture? server = null, HttpMessageHandler? handler = null, string? home = null)
    {
        _server = server;
        Handler = handler;

        // A directory that does not exist yet, so the tests also see rav create it.
        Home = home ?? Path.Combine(_root, "home");
    }

    public RavioliServerFixture Server => _server ?? throw new InvalidOperationException("This test runs rav without a server.");

    public HttpMessageHandler? Handler { get; }

    public string Home { get; }

    public string ConfigPath => Path.Combine(Home, "config.json");

    public Dictionary<string, string> Variables { get; } = [];

    /// <summary>Where relative paths (push's app and manifest) start; default: a fresh empty directory.</summary>
    public string WorkingDirectory { get; set; } = string.Empty;

    /// <summary>Pretend stderr is a terminal, to see progress output.</summary>
    public bool ErrorIsTerminal { get; set; }

    /// <summary>What a person types, line by line; when set, rav runs as if at a terminal (it asks instead of refusing).</summary>
    public string? Input { get; set; }

    /// <summary>A scratch directory removed with this Rav.</summary>
    public string Scratch => _root;

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    public async Task<CliResult> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var env = new CliEnvironment
        {
            Out = output,
            Err = error,
            Home = Home,
            Handler = Handler,
            GetVariable = name => Variables.GetValueOrDefault(name),
            WorkingDirectory = WorkingDirectory.Length > 0 ? WorkingDirectory : Directory.CreateDirectory(Path.Combine(_root, "work")).FullName,
            IsErrorTerminal = ErrorIsTerminal,
            IsInteractive = Input is not null,
            In = Input is null ? TextReader.Null : new StringReader(Input),
        };
        var exitCode = await RavCli.RunAsync(args, env, cancellationToken);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command that must succeed, and fails the test with its output when it does not.</summary>
    public async Task<CliResult> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"rav {string.Join(' ', args)} failed:\n{result}");
        return result;
    }

    public Task<CliResult> LoginAsAdminAsync(params string[] extra)
        => OkAsync(["login", "-a", Server.BaseUrl, "-u", "admin", "-p", Server.AdminPassword, .. extra]);

    public JsonObject ReadConfig() => JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();

    public void WriteConfig(JsonObject config) => File.WriteAllText(ConfigPath, config.ToJsonString());

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
