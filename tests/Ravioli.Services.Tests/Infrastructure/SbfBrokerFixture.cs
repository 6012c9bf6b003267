using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Ravioli.Services.Osb;
using Xunit;

namespace Ravioli.Services.Tests.Infrastructure;

/// <summary>
/// Runs sbf-broker/start.js — SAP's Service Broker Framework with our hooks — under node on a free port for one test class,
/// and stops it afterwards. Two brokers are mounted: /good and /sloppy (see start.js).
/// </summary>
public sealed partial class SbfBrokerFixture : IAsyncLifetime
{
    public const string Username = "ravioli";
    public const string Password = "sbf-test-password-0123456789";

    private readonly StringBuilder _log = new();
    private Process? _node;

    public int Port { get; private set; }

    public BrokerEndpoint Good => Endpoint("good");

    public BrokerEndpoint Sloppy => Endpoint("sloppy");

    public BrokerEndpoint Endpoint(string broker, string? password = null) =>
        new(new Uri($"http://127.0.0.1:{Port}/{broker}"), Username, password ?? Password);

    /// <summary>What the broker printed so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    [GeneratedRegex(@"ravioli-test-broker listening on port (\d+)")]
    private static partial Regex Listening();

    public async Task InitializeAsync()
    {
        await NodePackages.EnsureInstalledAsync();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = NodePackages.Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("start.js");
        start.Environment["PORT"] = "0";
        start.Environment["SBF_BROKER_CREDENTIALS"] = $$"""{"{{Username}}":"{{Password}}"}""";
        start.Environment["SBF_ENABLE_AUDITLOG"] = "false";

        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _node = new Process { StartInfo = start, EnableRaisingEvents = true };
        _node.OutputDataReceived += (_, e) => OnLine(e.Data, port);
        _node.ErrorDataReceived += (_, e) => OnLine(e.Data, port);
        _node.Exited += (_, _) => port.TrySetException(new InvalidOperationException("the SBF test broker exited before it listened:\n" + Log));
        _node.Start();
        _node.BeginOutputReadLine();
        _node.BeginErrorReadLine();
        Port = await port.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private void OnLine(string? line, TaskCompletionSource<int> port)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
        var match = Listening().Match(line);
        if (match.Success)
        {
            port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public async Task DisposeAsync()
    {
        if (_node is null)
        {
            return;
        }
        using (_node)
        {
            if (!_node.HasExited)
            {
                // start.js exits when its stdin closes; kill it only if that did not work.
                _node.StandardInput.Close();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _node.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    _node.Kill(entireProcessTree: true);
                    await _node.WaitForExitAsync();
                }
            }
        }
    }
}
