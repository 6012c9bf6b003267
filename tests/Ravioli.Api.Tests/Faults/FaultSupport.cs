using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests.Faults;

/// <summary>A test of SQLite's own failure modes: skipped in test.sh's PostgreSQL pass, which cannot show them.</summary>
public sealed class SqliteOnlyFactAttribute : FactAttribute
{
    public SqliteOnlyFactAttribute()
    {
        if (RavioliServerFixture.PostgresServer is not null)
        {
            Skip = "SQLite only: this pass runs on PostgreSQL (RAVIOLI_TEST_POSTGRES is set); the SQLite pass runs it.";
        }
    }
}

/// <summary>A test of PostgreSQL going away: runs in test.sh's PostgreSQL pass, on a cluster of its own so the shared one stays up.</summary>
public sealed class PostgresOnlyFactAttribute : FactAttribute
{
    public PostgresOnlyFactAttribute()
    {
        if (RavioliServerFixture.PostgresServer is null)
        {
            Skip = "PostgreSQL only: runs in test.sh's PostgreSQL pass (RAVIOLI_TEST_POSTGRES set); it starts and stops a throwaway cluster of its own.";
        }
    }
}

/// <summary>Needs to mount a tmpfs (root) and SQLite in the data directory; says which is missing instead of passing quietly.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (RavioliServerFixture.PostgresServer is not null)
        {
            Skip = "SQLite only: the disk-full test puts the SQLite database on the small disk too; the SQLite pass runs it.";
        }
        else if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Skip = $"NOT RUN: mounting a size-limited tmpfs needs root on Linux (running as '{Environment.UserName}').";
        }
    }
}

/// <summary>Shell commands for fault tests, with their output in the failure message.</summary>
internal static class Shell
{
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stdout}{await stderr}");
        }
        return await stdout;
    }
}

/// <summary>Polling with generous deadlines: the machine may be loaded, so nothing here asserts how long things take.</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(90));
        T last;
        while (true)
        {
            last = await read();
            if (done(last))
            {
                return last;
            }
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"gave up waiting for {what}; last seen: {last}");
            }
            await Task.Delay(250);
        }
    }
}

/// <summary>Org, space, app and package through the API, and a binary-buildpack app to stage.</summary>
internal static class World
{
    public static async Task<(string App, string Package)> NewPackageAsync(HttpClient admin, string prefix)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = (await admin.PostJsonAsync("/v3/organizations", new { name = prefix + "-" + suffix })).Expect(HttpStatusCode.Created).Guid();
        var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = org } } } })).Expect(HttpStatusCode.Created).Guid();
        var app = (await admin.PostJsonAsync("/v3/apps", new { name = "a", relationships = new { space = new { data = new { guid = space } } } })).Expect(HttpStatusCode.Created).Guid();
        var package = (await admin.PostJsonAsync("/v3/packages", new { type = "bits", relationships = new { app = new { data = new { guid = app } } } })).Expect(HttpStatusCode.Created).Guid();
        return (app, package);
    }

    /// <summary>A binary-buildpack app, plus <paramref name="ballastBytes"/> of incompressible bytes stored as is.</summary>
    public static byte[] BinaryAppZip(int ballastBytes = 0)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "server.sh", "#!/bin/sh\nexec sleep 3600\n"u8.ToArray(), 0x81ED, CompressionLevel.Optimal);
            Add(zip, "Procfile", "web: ./server.sh\n"u8.ToArray(), 0x81A4, CompressionLevel.Optimal);
            if (ballastBytes > 0)
            {
                Add(zip, "ballast.bin", System.Security.Cryptography.RandomNumberGenerator.GetBytes(ballastBytes), 0x81A4, CompressionLevel.NoCompression);
            }
        }
        return memory.ToArray();
    }

    private static void Add(ZipArchive zip, string name, byte[] content, int mode, CompressionLevel level)
    {
        var entry = zip.CreateEntry(name, level);
        entry.ExternalAttributes = mode << 16;
        using var stream = entry.Open();
        stream.Write(content);
    }

    public static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> UploadAsync(HttpClient client, string package, byte[] zip)
    {
        using var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        var response = await client.PostAsync($"/v3/packages/{package}/upload", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public static async Task<string> StageAsync(HttpClient admin, string package) =>
        (await admin.PostJsonAsync("/v3/builds", new { package = new { guid = package }, lifecycle = new { type = "buildpack", data = new { buildpacks = new[] { "binary_buildpack" } } } }))
            .Expect(HttpStatusCode.Created).Guid();

    public static async Task<JsonElement> FinishedBuildAsync(HttpClient admin, string build)
    {
        var (_, body) = await Poll.UntilAsync(async () => await admin.GetJsonAsync($"/v3/builds/{build}"),
            r => r.Status == HttpStatusCode.OK && r.Body.GetProperty("state").GetString() != "STAGING",
            $"build {build} to finish", TimeSpan.FromMinutes(3));
        return body;
    }
}
