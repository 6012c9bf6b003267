using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ravioli.Store.Migrations;

/// <summary>Packages, builds, droplets, processes, domains, routes and operator buildpacks: running apps.</summary>
[DbContext(typeof(RavioliDb))]
[Migration("20261121000003_AppLifecycle")]
public sealed class AppLifecycle : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.AddColumn<string>("current_droplet_guid", "apps", nullable: true);

        m.CreateTable("packages", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            app_guid = t.Column<string>(nullable: false),
            state = t.Column<string>(nullable: false),
            blob_key = t.Column<string>(nullable: true),
            size_bytes = t.Column<long>(nullable: false),
            error = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_packages", x => x.guid);
            t.ForeignKey("fk_packages_app", x => x.app_guid, "apps", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_packages_app_guid", "packages", "app_guid");

        m.CreateTable("builds", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            app_guid = t.Column<string>(nullable: false),
            package_guid = t.Column<string>(nullable: false),
            state = t.Column<string>(nullable: false),
            error = t.Column<string>(nullable: true),
            buildpacks = t.Column<string>(nullable: false),
            droplet_guid = t.Column<string>(nullable: true),
            created_by_guid = t.Column<string>(nullable: false),
            created_by_name = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_builds", x => x.guid);
            t.ForeignKey("fk_builds_app", x => x.app_guid, "apps", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_builds_app_guid", "builds", "app_guid");
        m.CreateIndex("ix_builds_state", "builds", "state");

        m.CreateTable("droplets", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            app_guid = t.Column<string>(nullable: false),
            package_guid = t.Column<string>(nullable: true),
            build_guid = t.Column<string>(nullable: true),
            state = t.Column<string>(nullable: false),
            blob_key = t.Column<string>(nullable: true),
            buildpack = t.Column<string>(nullable: true),
            process_types = t.Column<string>(nullable: false),
            error = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_droplets", x => x.guid);
            t.ForeignKey("fk_droplets_app", x => x.app_guid, "apps", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_droplets_app_guid", "droplets", "app_guid");

        m.CreateTable("processes", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            app_guid = t.Column<string>(nullable: false),
            type = t.Column<string>(nullable: false),
            command = t.Column<string>(nullable: true),
            instances = t.Column<int>(nullable: false),
            memory_mb = t.Column<int>(nullable: false),
            disk_mb = t.Column<int>(nullable: false),
            health_check_type = t.Column<string>(nullable: false),
            health_check_endpoint = t.Column<string>(nullable: true),
            health_check_timeout_seconds = t.Column<int>(nullable: true),
            health_check_invocation_timeout_seconds = t.Column<int>(nullable: true),
            run_generation = t.Column<int>(nullable: false, defaultValue: 0),
            run_spec = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_processes", x => x.guid);
            t.ForeignKey("fk_processes_app", x => x.app_guid, "apps", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_processes_app_guid_type", "processes", ["app_guid", "type"], unique: true);
        // Apps from before this migration get their web process; as in Cloud Foundry it shares the app's guid.
        m.Sql("INSERT INTO processes (guid, created_at, updated_at, version, app_guid, type, instances, memory_mb, disk_mb, health_check_type) "
            + "SELECT guid, created_at, updated_at, 'migrated', guid, 'web', 1, 256, 1024, 'port' FROM apps");

        m.CreateTable("domains", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            organization_guid = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_domains", x => x.guid);
            t.ForeignKey("fk_domains_organization", x => x.organization_guid, "organizations", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_domains_name", "domains", "name", unique: true);

        m.CreateTable("routes", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            host = t.Column<string>(nullable: false),
            path = t.Column<string>(nullable: false),
            domain_guid = t.Column<string>(nullable: false),
            space_guid = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_routes", x => x.guid);
            t.ForeignKey("fk_routes_domain", x => x.domain_guid, "domains", "guid", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_routes_space", x => x.space_guid, "spaces", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_routes_host_domain_path", "routes", ["host", "domain_guid", "path"], unique: true);
        m.CreateIndex("ix_routes_space_guid", "routes", "space_guid");

        m.CreateTable("route_mappings", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            route_guid = t.Column<string>(nullable: false),
            app_guid = t.Column<string>(nullable: false),
            process_type = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_route_mappings", x => x.guid);
            t.ForeignKey("fk_route_mappings_route", x => x.route_guid, "routes", "guid", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_route_mappings_app", x => x.app_guid, "apps", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_route_mappings_route_app_type", "route_mappings", ["route_guid", "app_guid", "process_type"], unique: true);
        m.CreateIndex("ix_route_mappings_app_guid", "route_mappings", "app_guid");

        m.CreateTable("buildpacks", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            position = t.Column<int>(nullable: false),
            enabled = t.Column<bool>(nullable: false),
            blob_key = t.Column<string>(nullable: true),
            filename = t.Column<string>(nullable: true),
        }, constraints: t => t.PrimaryKey("pk_buildpacks", x => x.guid));
        m.CreateIndex("ix_buildpacks_name", "buildpacks", "name", unique: true);
    }
}
