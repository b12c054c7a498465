SELECT display_name FROM se_users WHERE site = $site AND id = $id;
