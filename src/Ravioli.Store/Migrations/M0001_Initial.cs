using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ravioli.Store.Migrations;

/// <summary>Tenancy, identity, quotas and audit: the first schema.</summary>
[DbContext(typeof(RavioliDb))]
[Migration("20261121000001_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("organization_quotas", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            total_memory_in_mb = t.Column<int>(nullable: true),
            per_process_memory_in_mb = t.Column<int>(nullable: true),
            total_instances = t.Column<int>(nullable: true),
            total_apps = t.Column<int>(nullable: true),
            total_service_instances = t.Column<int>(nullable: true),
            total_routes = t.Column<int>(nullable: true),
        }, constraints: t => t.PrimaryKey("pk_organization_quotas", x => x.guid));
        m.CreateIndex("ix_organization_quotas_name", "organization_quotas", "name", unique: true);

        m.CreateTable("organizations", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            suspended = t.Column<bool>(nullable: false),
            quota_guid = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_organizations", x => x.guid);
            t.ForeignKey("fk_organizations_quota", x => x.quota_guid, "organization_quotas", "guid", onDelete: ReferentialAction.Restrict);
        });
        m.CreateIndex("ix_organizations_name", "organizations", "name", unique: true);
        m.CreateIndex("ix_organizations_quota_guid", "organizations", "quota_guid");

        m.CreateTable("spaces", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            organization_guid = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_spaces", x => x.guid);
            t.ForeignKey("fk_spaces_organization", x => x.organization_guid, "organizations", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_spaces_organization_guid_name", "spaces", ["organization_guid", "name"], unique: true);

        // Usernames were unique as typed; 0002 makes them case-insensitive.
        m.CreateTable("users", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            username = t.Column<string>(nullable: false),
            password_hash = t.Column<string>(nullable: false),
            admin = t.Column<bool>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_users", x => x.guid));
        m.CreateIndex("ix_users_username", "users", "username", unique: true);

        m.CreateTable("roles", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            type = t.Column<string>(nullable: false),
            user_guid = t.Column<string>(nullable: false),
            organization_guid = t.Column<string>(nullable: false),
            space_guid = t.Column<string>(nullable: true),
            scope_guid = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_roles", x => x.guid);
            t.ForeignKey("fk_roles_user", x => x.user_guid, "users", "guid", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_roles_organization", x => x.organization_guid, "organizations", "guid", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_roles_space", x => x.space_guid, "spaces", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_roles_user_type_scope", "roles", ["user_guid", "type", "scope_guid"], unique: true);
        m.CreateIndex("ix_roles_organization_guid", "roles", "organization_guid");
        m.CreateIndex("ix_roles_space_guid", "roles", "space_guid");

        m.CreateTable("audit_events", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            type = t.Column<string>(nullable: false),
            actor_guid = t.Column<string>(nullable: false),
            actor_type = t.Column<string>(nullable: false),
            actor_name = t.Column<string>(nullable: false),
            target_guid = t.Column<string>(nullable: false),
            target_type = t.Column<string>(nullable: false),
            target_name = t.Column<string>(nullable: false),
            organization_guid = t.Column<string>(nullable: true),
            space_guid = t.Column<string>(nullable: true),
            data = t.Column<string>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_audit_events", x => x.guid));
        m.CreateIndex("ix_audit_events_created_at", "audit_events", "created_at");
        m.CreateIndex("ix_audit_events_target_guid", "audit_events", "target_guid");

        m.CreateTable("refresh_tokens", t => new
        {
            guid = t.Column<string>(nullable: false),
            user_guid = t.Column<string>(nullable: false),
            token_hash = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            expires_at = t.Column<DateTime>(nullable: false),
            revoked_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_refresh_tokens", x => x.guid);
            t.ForeignKey("fk_refresh_tokens_user", x => x.user_guid, "users", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_refresh_tokens_token_hash", "refresh_tokens", "token_hash", unique: true);
    }
}
