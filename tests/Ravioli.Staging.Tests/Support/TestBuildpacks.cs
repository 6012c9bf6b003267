namespace Ravioli.Staging.Tests.Support;

/// <summary>Small operator buildpacks written as shell scripts, following Cloud Foundry's contract.</summary>
internal static class TestBuildpacks
{
    /// <summary>A Python one-liner server answering GET / with the output of a shell command (run per request).</summary>
    public static string ServeScript(string responseCommand) => $$"""
        #!/bin/sh
        exec python3 -c '
        import os, subprocess
        from http.server import BaseHTTPRequestHandler, HTTPServer
        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                body = subprocess.run(["/bin/sh", "-c", os.environ["RESPONSE"]], capture_output=True).stdout
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
        '
        """.Replace("exec python3", $"RESPONSE='{responseCommand}' exec python3", StringComparison.Ordinal);

    /// <summary>A v2 buildpack (bin/compile) detecting apps that have <c>marker</c>.</summary>
    public static void WriteV2(TempDirectory directory, string marker)
    {
        directory.Write("bin/detect", $"#!/bin/sh\n[ -f \"$1/{marker}\" ]\n", executable: true);
        directory.Write("bin/compile", """
            #!/bin/sh
            set -e
            echo "-----> v2 test buildpack compiling"
            build="$1"; cache="$2"
            date > "$cache/last-compile"
            cat > "$build/serve.sh" <<'EOS'
            SERVE
            EOS
            chmod +x "$build/serve.sh"
            echo "       wrote serve.sh"
            """.Replace("SERVE", ServeScript("echo compiled by v2; cat greeting.txt"), StringComparison.Ordinal), executable: true);
        directory.Write("bin/release", """
            #!/bin/sh
            echo "release diagnostics go to stderr" >&2
            cat <<'EOF'
            ---
            config_vars:
              V2_CONFIG: from release
            default_process_types:
              web: ./serve.sh
            EOF
            """, executable: true);
    }

    /// <summary>
    /// A v3 buildpack (bin/supply + bin/finalize): supply puts a <c>greet</c> tool in its deps directory
    /// with a profile.d script adding it to PATH; finalize writes a profile.d script and the server.
    /// </summary>
    public static void WriteV3(TempDirectory directory, string marker)
    {
        directory.Write("bin/detect", $"#!/bin/sh\n[ -f \"$1/{marker}\" ]\n", executable: true);
        directory.Write("bin/supply", """
            #!/bin/sh
            set -e
            build="$1"; cache="$2"; deps="$3"; index="$4"
            echo "-----> v3 test buildpack supplying (index $index)"
            mkdir -p "$deps/$index/bin" "$deps/$index/profile.d"
            printf '#!/bin/sh\necho supplied by v3\n' > "$deps/$index/bin/greet"
            chmod +x "$deps/$index/bin/greet"
            echo "export PATH=\"\$DEPS_DIR/$index/bin:\$PATH\"" > "$deps/$index/profile.d/greet.sh"
            """, executable: true);
        directory.Write("bin/finalize", """
            #!/bin/sh
            set -e
            build="$1"; cache="$2"; deps="$3"; index="$4"; profile="$5"
            echo "-----> v3 test buildpack finalizing"
            echo 'export V3_GREETING="and finalized"' > "$profile/v3.sh"
            cat > "$build/serve.sh" <<'EOS'
            SERVE
            EOS
            chmod +x "$build/serve.sh"
            """.Replace("SERVE", ServeScript("echo $(greet) $V3_GREETING"), StringComparison.Ordinal), executable: true);
        directory.Write("bin/release", "#!/bin/sh\nprintf -- '---\\ndefault_process_types:\\n  web: ./serve.sh\\n'\n", executable: true);
    }
}
