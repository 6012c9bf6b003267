using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Staging.Running;
using Ravioli.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Api.Tests.Faults;

/// <summary>The whole data directory (SQLite database, blobs, staging work) on a 24 MiB tmpfs that the tests fill up.</summary>
public sealed class DiskFullTests(DiskFullTests.SmallDisk server, ITestOutputHelper output) : IClassFixture<DiskFullTests.SmallDisk>
{
    public sealed class SmallDisk : RavioliServerFixture
    {
        public const int SizeMiB = 24;
        private bool _mounted;

        private string Filler => Path.Combine(DataDirectory, "filler");

        public override async Task InitializeAsync()
        {
            if (PostgresServer is not null || Environment.UserName != "root")
            {
                return;
            }
            Directory.CreateDirectory(DataDirectory);
            try
            {
                await Shell.RunAsync("mount", "-t", "tmpfs", "-o", $"size={SizeMiB}m,mode=0755", "tmpfs", DataDirectory);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"FAULT TEST CANNOT RUN: mounting a {SizeMiB} MiB tmpfs at {DataDirectory} failed: {e.Message}", e);
            }
            _mounted = true;
            await base.InitializeAsync();
        }

        protected override void Configure(WebApplicationBuilder builder) =>
            builder.Services.AddSingleton<IStagingRunner>(new ProcessStagingRunner());

        /// <summary>Writes a file until the disk is full, then frees <paramref name="leaveBytes"/> of it.</summary>
        public long Fill(long leaveBytes = 0)
        {
            var buffer = new byte[1 << 16];
            long written = 0;
            using (var file = new FileStream(Filler, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                try
                {
                    while (true)
                    {
                        file.Write(buffer);
                        file.Flush();
                        written += buffer.Length;
                    }
                }
                catch (IOException)
                {
                }
                file.SetLength(Math.Max(0, Math.Min(written, file.Length) - leaveBytes));
            }
            return written;
        }

        public void Free() => File.Delete(Filler);

        public long FreeBytes => new DriveInfo(DataDirectory).AvailableFreeSpace;

        public override async Task DisposeAsync()
        {
            await StopAsync();
            if (_mounted)
            {
                await Shell.RunAsync("umount", DataDirectory);
            }
            await base.DisposeAsync();
        }
    }

    private string DatabasePath => Path.Combine(server.DataDirectory, "ravioli.db");

    private string[] Incoming() => Directory.GetFiles(Path.Combine(server.DataDirectory, "blobs", "incoming"));

    private async Task<string> IntegrityAsync()
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [SmallDiskFact]
    public async Task An_upload_bigger_than_the_free_space_answers_507_keeps_nothing_and_succeeds_once_space_returns()
    {
        using var admin = await server.AdminClientAsync();
        var (_, package) = await World.NewPackageAsync(admin, "full");
        // A zip that fits the disk, but not the space left on it.
        var zip = World.BinaryAppZip(ballastBytes: 12 << 20);
        server.Fill(leaveBytes: 6 << 20);
        Assert.True(zip.Length > server.FreeBytes, $"the zip ({zip.Length} B) must not fit in {server.FreeBytes} B");

        var (status, body, response) = await World.UploadAsync(admin, package, zip);
        using (response)
        {
            Assert.True(status == HttpStatusCode.InsufficientStorage, $"{(int)status}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("disk is full: the upload could not be stored", body, StringComparison.Ordinal);
        }
        Assert.Empty(Incoming());
        var state = (await admin.GetJsonAsync($"/v3/packages/{package}")).Expect(HttpStatusCode.OK).GetProperty("state").GetString();
        Assert.Equal("AWAITING_UPLOAD", state);

        // The database on the full disk: a write that cannot get space is a 507 (or 503), never a 500, and leaves the file sound.
        server.Fill();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 300 && !statuses.Any(s => s != HttpStatusCode.Created); i++)
        {
            var (created, problem) = await admin.PostJsonAsync("/v3/organizations", new { name = $"fill-{i}-{Guid.NewGuid():N}" });
            statuses.Add(created);
            Assert.True(created is HttpStatusCode.Created or HttpStatusCode.InsufficientStorage or HttpStatusCode.ServiceUnavailable, $"{(int)created}: {problem}");
        }
        Assert.Contains(statuses, s => s != HttpStatusCode.Created);
        output.WriteLine($"database on a full disk: {statuses.Count(s => s == HttpStatusCode.Created)} creates fitted, then {(int)statuses[^1]}");
        (await admin.GetJsonAsync($"/v3/packages/{package}")).Expect(HttpStatusCode.OK);
        server.Free();
        Assert.Equal("ok", await IntegrityAsync());

        // Space is back: the same upload, on the same package, with nothing restarted.
        var (again, againBody, againResponse) = await World.UploadAsync(admin, package, zip);
        againResponse.Dispose();
        Assert.True(again == HttpStatusCode.OK, $"{(int)again}: {againBody}");
        Assert.Contains("\"READY\"", againBody, StringComparison.Ordinal);
        (await admin.PostJsonAsync("/v3/organizations", new { name = "after-" + Guid.NewGuid().ToString("N")[..8] })).Expect(HttpStatusCode.Created);
    }

    [SmallDiskFact]
    public async Task Staging_that_runs_out_of_disk_fails_the_build_with_a_message_and_works_once_space_returns()
    {
        using var admin = await server.AdminClientAsync();
        var (_, package) = await World.NewPackageAsync(admin, "drop");
        var (status, body, response) = await World.UploadAsync(admin, package, World.BinaryAppZip(ballastBytes: 2 << 20));
        response.Dispose();
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");

        // Room for the database to record the build, not for the extracted app and its droplet.
        server.Fill(leaveBytes: 256 << 10);
        var build = await World.StageAsync(admin, package);
        var failed = await World.FinishedBuildAsync(admin, build);
        server.Free();
        Assert.True(failed.GetProperty("state").GetString() == "FAILED", failed.ToString());
        Assert.Contains("disk is full", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("ok", await IntegrityAsync());

        var staged = await World.FinishedBuildAsync(admin, await World.StageAsync(admin, package));
        Assert.True(staged.GetProperty("state").GetString() == "STAGED", staged.ToString());
    }
}
