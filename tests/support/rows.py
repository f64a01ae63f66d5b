"""The spec's worked example row (shared/spec/scoring.md §7, docs/scheme.md): employee E001."""

from __future__ import annotations

E001 = dict(
    employee_id="E001", name="张三", team="天猫一组", category="apparel", product_type="fmcg",
    sales_target=1_000_000, sales_actual=1_080_000, uv=200_000, uv_prev=180_000, natural_uv=130_000,
    pv=560_000, paid_orders=7200, silent_orders=1300, industry_conversion=0.03, aov_prev=142,
    repeat_buyers_90d=1500, paying_users=6000, new_customer_sales=400_000, cogs=600_000,
    inventory_begin=150_000, inventory_end=170_000, slow_moving_skus=6, total_skus=100,
    promotion_cost=172_800, after_sales_cost=30_000, activity_overdue=1, issue_overdue=3,
    rating_design=8.5, rating_cs=7.5, rating_logistics=9, resources_ready_rate=0.88,
    proposals_approved=1, knowledge_docs=0, platform_violations=0, severe_violations=0,
    data_security_violations=0,
)
