using System.Diagnostics;
using Xunit;

namespace Ravioli.EndToEnd.Tests;

/// <summary>`rav push` of every sample against a real `./ravioli up`, each answering 200 through the router.</summary>
public sealed class PushTests(Platform platform) : IClassFixture<Platform>
{
    public static TheoryData<string, string, string> Samples => new()
    {
        { "node", "hello-node", "Hello from Node.js" },
        { "python", "hello-python", "Hello from Python" },
        { "static", "hello-static", "Hello from a static" },
        { "binary", "hello-binary", "Hello from a binary" },
        { "go", "hello-go", "Hello from Go" },
        { "java", "hello-java", "Hello from Java" },
        { "dotnet", "hello-dotnet", "Hello from .NET" },
    };

    /// <summary>A private copy of the sample, so nothing is written into the repository (the Java jar is built into it).</summary>
    public static async Task<string> CopySampleAsync(string sample)
    {
        var source = Path.Combine(Platform.Root, "samples", sample);
        var target = Directory.CreateTempSubdirectory($"sample-{sample}-").FullName;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("build", StringComparison.Ordinal) || relative.StartsWith("classes", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
            File.SetUnixFileMode(Path.Combine(target, relative), File.GetUnixFileMode(file));
        }
        if (sample == "java")
        {
            // As samples/java/README.md says: the jar is built locally and pushed from build/.
            await RunAsync(target, "mkdir", "-p", "classes", "build");
            await RunAsync(target, "javac", "-d", "classes", "Main.java");
            await RunAsync(target, "jar", "--create", "--file", "build/hello-java.jar", "--main-class", "Main", "-C", "classes", ".");
        }
        return target;
    }

    private static async Task RunAsync(string directory, string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { WorkingDirectory = directory, RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Every_sample_pushes_and_answers_through_the_router(string sample, string app, string greeting)
    {
        var directory = await CopySampleAsync(sample);
        try
        {
            var push = await platform.RavInAsync(directory, "push");
            Assert.True(push.ExitCode == 0, push.ToString());
            Assert.Contains($"{app}.apps.localhost", push.Stdout, StringComparison.Ordinal);
            using var router = platform.Router($"{app}.apps.localhost");
            var answer = await Platform.GetAsync(router);
            Assert.True(answer.StartsWith("200", StringComparison.Ordinal) && answer.Contains(greeting, StringComparison.Ordinal), answer);
        }
        finally
        {
            await platform.RavAsync("delete", app, "-f", "-r");
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_staging_failure_says_why_and_exits_1()
    {
        var directory = Directory.CreateTempSubdirectory("nothing-to-detect-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "notes.txt"), "no code here");
            var push = await platform.RavInAsync(directory, "push", "nothing");
            Assert.Equal(1, push.ExitCode);
            Assert.Contains("No buildpack detected", push.Stdout + push.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await platform.RavAsync("delete", "nothing", "-f", "-r");
            Directory.Delete(directory, recursive: true);
        }
    }
}
