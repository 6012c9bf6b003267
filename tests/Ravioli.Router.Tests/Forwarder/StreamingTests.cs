using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.Forwarder;

public sealed class StreamingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_chunked_response_arrives_chunk_by_chunk()
    {
        // The backend writes its second chunk only after the client has read the first: a router that buffered
        // the response would never deliver the first chunk and the test would time out.
        var firstChunkRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("sse", async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("data: one\n\n");
            await context.Response.Body.FlushAsync();
            await firstChunkRead.Task.WaitAsync(Patience);
            await context.Response.WriteAsync("data: two\n\n");
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("sse.test", "", "sse", backend));
        using var client = router.Client();

        using var response = await client.GetAsync("http://sse.test/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream, Encoding.UTF8);

        Assert.Equal("data: one", await reader.ReadLineAsync().WaitAsync(Patience));
        firstChunkRead.SetResult();
        Assert.Equal("", await reader.ReadLineAsync().WaitAsync(Patience));
        Assert.Equal("data: two", await reader.ReadLineAsync().WaitAsync(Patience));
    }

    [Fact]
    public async Task A_chunked_request_body_arrives_chunk_by_chunk()
    {
        var firstChunkSeen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("upload", async context =>
        {
            var buffer = new byte[64];
            var read = await context.Request.Body.ReadAsync(buffer);
            firstChunkSeen.SetResult(Encoding.UTF8.GetString(buffer, 0, read));
            var rest = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync("rest:" + rest);
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("up.test", "", "up", backend));
        using var client = router.Client();

        // The client sends its second chunk only after the app has seen the first.
        var content = new PushContent(async stream =>
        {
            await stream.WriteAsync("first"u8.ToArray());
            await stream.FlushAsync();
            Assert.Equal("first", await firstChunkSeen.Task.WaitAsync(Patience));
            await stream.WriteAsync("second"u8.ToArray());
        });
        using var response = await client.PostAsync("http://up.test/", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("rest:second", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_50_MB_upload_and_download_stream_through_intact()
    {
        const int size = 50 * 1024 * 1024;
        await using var backend = await TestBackend.StartAsync("big", async context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    total += read;
                }
                await context.Response.WriteAsync($"{total} {Convert.ToHexString(sha.GetHashAndReset())}");
                return;
            }
            context.Response.ContentLength = size;
            await Pattern.WriteAsync(context.Response.Body, size);
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("big.test", "", "big", backend));
        using var client = router.Client();

        var upload = new PushContent(stream => Pattern.WriteAsync(stream, size));
        using var uploaded = await client.PostAsync("http://big.test/", upload);
        Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        Assert.Equal($"{size} {Pattern.Sha256(size)}", await uploaded.Content.ReadAsStringAsync());

        using var downloaded = await client.GetAsync("http://big.test/", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await downloaded.Content.ReadAsStreamAsync();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            total += read;
        }
        Assert.Equal(size, total);
        Assert.Equal(Pattern.Sha256(size), Convert.ToHexString(sha.GetHashAndReset()));

        var entry = await router.AccessLog.WaitForAsync(e => e.Method == "POST");
        Assert.Equal(size, entry.RequestBytes);
    }

    [Fact]
    public async Task A_client_waiting_for_100_continue_gets_its_body_through()
    {
        await using var backend = await TestBackend.StartAsync("continue", async context =>
            await context.Response.WriteAsync("got " + await new StreamReader(context.Request.Body).ReadToEndAsync()));
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("continue.test", "", "continue", backend));
        using var client = router.Client();

        using var request = new HttpRequestMessage(HttpMethod.Post, "http://continue.test/") { Content = new StringContent("patient body") };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);

        Assert.Equal("got patient body", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_head_request_and_an_empty_response_pass_through()
    {
        await using var backend = await TestBackend.StartAsync("head", context =>
        {
            if (context.Request.Path == "/empty")
            {
                context.Response.StatusCode = 204;
                return Task.CompletedTask;
            }
            context.Response.ContentLength = 5;
            return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync("hello");
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("head.test", "", "head", backend));
        using var client = router.Client();

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "http://head.test/"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(5, head.Content.Headers.ContentLength);
        using var empty = await client.DeleteAsync("http://head.test/empty");
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        Assert.Equal("hello", await client.GetStringAsync("http://head.test/"));
    }

    /// <summary>Request content written by a callback, sent chunked, never buffered whole.</summary>
    private sealed class PushContent(Func<Stream, Task> write) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => write(stream);

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    /// <summary>Deterministic bytes, so both ends can check content without holding 50 MB.</summary>
    private static class Pattern
    {
        private static readonly byte[] Block = Enumerable.Range(0, 65536).Select(i => (byte)(i * 31 + i / 251)).ToArray();

        public static async Task WriteAsync(Stream stream, int size)
        {
            for (var sent = 0; sent < size; sent += Block.Length)
            {
                await stream.WriteAsync(Block.AsMemory(0, Math.Min(Block.Length, size - sent)));
            }
        }

        public static string Sha256(int size)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (var sent = 0; sent < size; sent += Block.Length)
            {
                sha.AppendData(Block, 0, Math.Min(Block.Length, size - sent));
            }
            return Convert.ToHexString(sha.GetHashAndReset());
        }
    }
}
