using System.IO.Compression;
using System.Text;
using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Staging.Tests;

public sealed class RelocatabilityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_python_app_with_installed_packages_runs_after_its_droplet_moves()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        using var elsewhere = new TempDirectory("moved");
        WriteWheel(app.Combine("vendor", "ravioli_greeting-1.0-py3-none-any.whl"));
        app.Write("requirements.txt", "# vendored, so staging needs no package index\n./vendor/ravioli_greeting-1.0-py3-none-any.whl\n");
        app.Write("app.py", """
            import os
            from http.server import BaseHTTPRequestHandler, HTTPServer
            import ravioli_greeting

            class Hello(BaseHTTPRequestHandler):
                def do_GET(self):
                    body = (ravioli_greeting.GREETING + "\n").encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Hello).serve_forever()
            """);
        var staging = new StagingRun(output);

        var result = await staging.StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path });

        Assert.Equal(BuildpackNames.Python, result.Buildpack);
        Assert.Equal("python3 app.py", result.StartCommand);
        var script = Path.Combine(result.AppDirectory, ".python_packages", "bin", "ravioli-greet");
        Assert.StartsWith("#!/usr/bin/env python3\n", await File.ReadAllTextAsync(script));

        var moved = Path.Combine(elsewhere.Path, "droplet");
        Directory.Move(result.DropletDirectory, moved);
        await using var running = RunningApp.Start(Path.Combine(moved, "app"), result.StartCommand);
        Assert.Equal("hello from a vendored wheel\n", (await running.GetAsync()).Body);
        await using var greeter = RunningApp.Start(Path.Combine(moved, "app"), "ravioli-greet > greeted.txt; exec sleep 30");
        var greeted = Path.Combine(moved, "app", "greeted.txt");
        for (var i = 0; i < 100 && (!File.Exists(greeted) || new FileInfo(greeted).Length == 0); i++)
        {
            await Task.Delay(100);
        }
        Assert.Equal("hello from a vendored wheel\n", await File.ReadAllTextAsync(greeted));
    }

    /// <summary>A minimal pure-Python wheel (a zip with dist-info), with a console script.</summary>
    private static void WriteWheel(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        var files = new Dictionary<string, string>
        {
            ["ravioli_greeting/__init__.py"] = "GREETING = \"hello from a vendored wheel\"\n\ndef main():\n    print(GREETING)\n",
            ["ravioli_greeting-1.0.dist-info/METADATA"] = "Metadata-Version: 2.1\nName: ravioli-greeting\nVersion: 1.0\n",
            ["ravioli_greeting-1.0.dist-info/WHEEL"] = "Wheel-Version: 1.0\nGenerator: ravioli-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            ["ravioli_greeting-1.0.dist-info/entry_points.txt"] = "[console_scripts]\nravioli-greet = ravioli_greeting:main\n",
        };
        var record = new StringBuilder();
        foreach (var (name, content) in files)
        {
            using (var stream = zip.CreateEntry(name).Open())
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
            record.Append(name).Append(",,\n");
        }
        record.Append("ravioli_greeting-1.0.dist-info/RECORD,,\n");
        using var recordStream = zip.CreateEntry("ravioli_greeting-1.0.dist-info/RECORD").Open();
        recordStream.Write(Encoding.UTF8.GetBytes(record.ToString()));
    }
}
