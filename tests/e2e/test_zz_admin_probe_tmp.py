from flask_security import hash_password
from app.extensions import db
from app.services.users import create_user

def test_probe(live_app, base_url, page):
    with live_app.app_context():
        create_user(db.session(), email="probe@example.com", password="probe password 123",
                    role_names=["admin"], hash_password=hash_password)
        db.session.commit()
    problems = []
    page.on("console", lambda m: problems.append(("console", m.type, m.text)) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(("pageerror", str(e))))
    page.goto(base_url + "/admin/parts/")
    page.fill("input[name=email]", "probe@example.com")
    page.fill("input[name=password]", "probe password 123")
    page.click("[type=submit]")
    page.wait_for_load_state("networkidle")
    print("after login", page.url)
    for path in ["/admin/", "/admin/parts/", "/admin/fitments/", "/admin/vehicles/", "/admin/parts/new/", "/admin/retailers/", "/admin/users/"]:
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=f"/tmp/exp/{path.strip('/').replace('/','_') or 'home'}.png", full_page=True)
    # filters: click Add Filter dropdown and pick a filter
    page.goto(base_url + "/admin/fitments/")
    page.click("text=Add Filter")
    page.click("a.filter >> text=Status")
    page.wait_for_timeout(300)
    page.screenshot(path="/tmp/exp/fitments_filter.png", full_page=True)
    # bulk action: select a retailer row and open With selected
    page.goto(base_url + "/admin/retailers/")
    page.check("input.action-checkbox >> nth=0")
    page.click("text=With selected")
    page.once("dialog", lambda d: (problems.append(("dialog", d.message)), d.dismiss()))
    page.click("a.dropdown-item >> text=Delete")
    page.wait_for_timeout(300)
    page.goto(base_url + "/admin/parts/new/")
    page.wait_for_timeout(500)
    page.screenshot(path="/tmp/exp/parts_new_js.png", full_page=True)
    print("PROBLEMS", problems)
